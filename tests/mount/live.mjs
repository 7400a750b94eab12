// Changes a LanceDB table step by step while lancefs has it mounted, and
// records after each step what LanceDB reads at every version (the format of
// tests/fixtures/README.md).  Run with the fixture generator's node_modules:
//   node live.mjs DIR STEP EXPECTED_JSON
// STEP: create | append | delete_few | delete_many | update | compact |
//       add_column | alter_column | drop_column | tag | cleanup
import path from 'node:path';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordTable } from '../fixtures/gen/record.mjs';

// LanceDB is installed beside the fixture generator (tests/fixtures/setup.sh)
const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/gen/package.json');
const lancedb = await import(pathToFileURL(createRequire(gen).resolve('@lancedb/lancedb')).href);

const [dir, step, out] = process.argv.slice(2);
const db = await lancedb.connect(path.dirname(dir));
const name = path.basename(dir, '.lance');

function rows(from, n) {
  const r = [];
  for (let i = from; i < from + n; i++) {
    r.push({ id: BigInt(i), label: i % 5 === 1 ? null : `row ${i}`, score: i * 0.25, vec: [i, -i, i / 3] });
  }
  return r;
}

// Versions made within the same millisecond could not be told apart by
// time: keep them apart.
await new Promise((r) => setTimeout(r, 20));
let t;
if (step === 'create') {
  t = await db.createTable(name, rows(0, 6000), { mode: 'overwrite' });
} else {
  t = await db.openTable(name);
}
switch (step) {
  case 'create': break;
  case 'append': await t.add(rows(10000, 3000)); break;
  case 'delete_few': await t.delete('id IN (3, 4, 10001)'); break;
  case 'delete_many': await t.delete('id < 6000 AND id % 2 = 1'); break;
  case 'update': await t.update({ where: 'id >= 10000 AND id < 10010', values: { label: 'updated' } }); break;
  case 'compact': await t.optimize({ cleanupOlderThan: new Date(0) }); break;
  case 'add_column': await t.addColumns([{ name: 'twice', valueSql: 'score * 2' }]); break;
  case 'alter_column': await t.alterColumns([{ path: 'twice', rename: 'doubled' }]); break;
  case 'drop_column': await t.dropColumns(['label']); break;
  case 'tag': await (await t.tags()).create('live-tag', (await t.version()) - 1); break;
  case 'cleanup': {
    // drop every version but the newest (LanceDB refuses to drop a tagged
    // version, so the tag goes first)
    const tags = await t.tags();
    for (const name of Object.keys(await tags.list())) await tags.delete(name);
    await t.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true });
    break;
  }
  default: throw new Error('unknown step ' + step);
}
const rec = await recordTable(t, name);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(rec));
console.log(rec.latest_version);

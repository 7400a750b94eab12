// Times LanceDB's exact (flat) kNN on the benchmark table, warm: for each query vector,
// WARMUP untimed runs, then RUNS timed ones of
//   tbl.query().nearestTo(q).bypassVectorIndex().distanceType(METRIC).limit(K)
//      .select(['id']).withRowId().toArray()
// and prints one JSON line per query: {"query": i, "ms": [...], "median": m, "rowids": [...]}.
//
//   node knn_lancedb.mjs DBDIR [K] [RUNS] [WARMUP] [METRIC]
//
// LanceDB comes from tests/fixtures/gen/node_modules (or $LANCEDB_NODE_MODULES).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.LANCEDB_NODE_MODULES ||
  path.resolve(here, '..', 'tests', 'fixtures', 'gen', 'node_modules');
const require = createRequire(path.join(path.dirname(modules), 'package.json'));
const lancedb = require(path.join(modules, '@lancedb', 'lancedb'));

const [dbdir, kArg = '10', runsArg = '5', warmArg = '2', metric = 'l2'] = process.argv.slice(2);
if (!dbdir) {
  console.error('usage: node knn_lancedb.mjs DBDIR [K] [RUNS] [WARMUP] [METRIC]');
  process.exit(2);
}
const k = Number(kArg), runs = Number(runsArg), warm = Number(warmArg);
const queries = JSON.parse(fs.readFileSync(path.join(dbdir, 'queries.json'), 'utf8'));
const db = await lancedb.connect(dbdir);
const tbl = await db.openTable('knn');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (let i = 0; i < queries.length; i++) {
  const q = queries[i];
  let result = null;
  const ms = [];
  for (let r = 0; r < warm + runs; r++) {
    const t0 = process.hrtime.bigint();
    result = await tbl.query().nearestTo(q).bypassVectorIndex().distanceType(metric).limit(k)
      .select(['id']).withRowId().toArray();
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r >= warm) ms.push(t);
  }
  console.log(JSON.stringify({
    query: i, ms, median: median(ms),
    rowids: result.map((x) => x._rowid.toString()), distances: result.map((x) => x._distance),
  }));
}

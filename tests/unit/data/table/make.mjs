// Writes the small table-format test files in this directory with
// @lancedb/lancedb (run from a directory where it is installed):
//   node make.mjs OUTDIR
// then the chosen files are copied here by hand (see README in this dir).
import * as lancedb from '@lancedb/lancedb';
const out = process.argv[2];
const db = await lancedb.connect(out);
const rows = [];
for (let i = 0; i < 100; i++) rows.push({ id: i, name: i % 10 === 3 ? null : 'n' + (i % 7), vec: [i, i + 1, i + 2, i + 3] });
const t = await db.createTable('small', rows, { mode: 'overwrite' });
await t.add([{ id: 1000, name: 'z', vec: [1, 2, 3, 4] }]);
await t.delete('id < 5');
const big = [];
for (let i = 0; i < 50000; i++) big.push({ id: i });
const b = await db.createTable('big', big, { mode: 'overwrite' });
await b.delete('id % 3 = 0');
console.log(await t.version(), await t.countRows(), await b.version(), await b.countRows());

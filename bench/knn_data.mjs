// Writes the kNN benchmark table with LanceDB (storage version 2.1): ROWS rows of
// {id: int64, vector: fixed_size_list<float32, DIM>}, in batches of BATCH rows (one
// createTable, then one add per batch, so the table has ROWS / BATCH fragments), plus
// QUERIES query vectors as JSON. Values are deterministic (xorshift), uniform in [-1, 1).
//
//   node knn_data.mjs DBDIR [ROWS] [DIM] [BATCH] [QUERIES]
//     -> DBDIR/knn.lance, DBDIR/queries.json ([[...DIM numbers], ...])
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
const arrow = require(path.join(modules, 'apache-arrow'));

const [dbdir, rowsArg = '1000000', dimArg = '128', batchArg = '250000', queriesArg = '5'] =
  process.argv.slice(2);
if (!dbdir) {
  console.error('usage: node knn_data.mjs DBDIR [ROWS] [DIM] [BATCH] [QUERIES]');
  process.exit(2);
}
const rows = Number(rowsArg), dim = Number(dimArg), batch = Number(batchArg);
const nQueries = Number(queriesArg);

const vecType = new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true));
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('vector', vecType, true),
]);

let state = 0x2545f491;
function fill(f32) {
  let s = state;
  for (let i = 0; i < f32.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    f32[i] = s / 2147483648 - 1;
  }
  state = s;
}

function makeBatch(first, n) {
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(first + i);
  const values = new Float32Array(n * dim);
  fill(values);
  const idData = arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: 0, data: ids });
  const child = arrow.makeData({ type: new arrow.Float32(), length: n * dim, nullCount: 0, data: values });
  const vecData = arrow.makeData({ type: vecType, length: n, nullCount: 0, child });
  const structData = arrow.makeData({
    type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children: [idData, vecData],
  });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, structData)]);
}

fs.mkdirSync(dbdir, { recursive: true });
const db = await lancedb.connect(dbdir);
const opts = { mode: 'overwrite', storageOptions: { newTableDataStorageVersion: '2.1' } };
const t0 = Date.now();
let tbl = null;
for (let first = 0; first < rows; first += batch) {
  const part = makeBatch(first, Math.min(batch, rows - first));
  if (!tbl) tbl = await db.createTable('knn', part, opts);
  else await tbl.add(part);
}
const queries = [];
for (let i = 0; i < nQueries; i++) {
  const q = new Float32Array(dim);
  fill(q);
  queries.push(Array.from(q));
}
fs.writeFileSync(path.join(dbdir, 'queries.json'), JSON.stringify(queries) + '\n');
console.error(`knn_data: ${rows} x ${dim} float32 in ${Math.ceil(rows / batch)} fragments, ` +
  `${((Date.now() - t0) / 1000).toFixed(1)} s -> ${dbdir}/knn.lance`);

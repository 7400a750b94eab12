// Writes the vector benchmark table with LanceDB: ROWS rows of {id: int64, vec:
// fixed_size_list<float32, DIM>}, storage version 2.1, in batches of BATCH rows (one
// createTable, then one add per batch, so memory stays at one batch and the table has
// ROWS / BATCH fragments, as a table filled over time would).
//
//   node gen_vec.mjs DBDIR [ROWS] [DIM] [BATCH]     -> DBDIR/vec.lance
//
// The values are deterministic (a xorshift generator), uniform in [-1, 1).
import { lancedb, arrow } from './lancedb.mjs';

const [dbdir, rowsArg = '1000000', dimArg = '128', batchArg = '100000'] = process.argv.slice(2);
if (!dbdir) {
  console.error('usage: node gen_vec.mjs DBDIR [ROWS] [DIM] [BATCH]');
  process.exit(2);
}
const rows = Number(rowsArg), dim = Number(dimArg), batch = Number(batchArg);

const vecType = new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true));
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), true),
  new arrow.Field('vec', vecType, true),
]);

let state = 0x9e3779b9 >>> 0;
function fill(f32) {
  let s = state;
  for (let i = 0; i < f32.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    f32[i] = s / 2147483648 - 1; // [-1, 1)
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

const db = await lancedb.connect(dbdir);
const opts = { mode: 'overwrite', storageOptions: { new_table_data_storage_version: '2.1' } };
let tbl = null;
const t0 = Date.now();
for (let first = 0; first < rows; first += batch) {
  const part = makeBatch(first, Math.min(batch, rows - first));
  if (!tbl) tbl = await db.createTable('vec', part, opts);
  else await tbl.add(part);
}
console.error(`gen_vec: ${rows} rows x ${dim} float32 written to ${dbdir}/vec.lance in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

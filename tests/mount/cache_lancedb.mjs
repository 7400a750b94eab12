// LanceDB's side of the block-cache tests (tests/mount/test_cache.sh), run with
// the fixture generator's node_modules (tests/fixtures/setup.sh installs them).
//
//   node cache_lancedb.mjs make DIR NAME ROWS SEED
//       writes DIR/NAME.lance (Lance file version 2.1, one fragment): id int64,
//       vec fixed_size_list<float32, 64>, f00..f15 float64, cat int32 (row % 7).
//       The values are a pure function of (SEED, row): two SEEDs give tables of
//       the same shape whose float values differ.  No column has a data-
//       dependent size (floats are stored flat, id and cat do not depend on
//       SEED; LanceDB's FSST string compression would vary from run to run), so
//       the two data files have the same size.
//   node cache_lancedb.mjs read DB_URI NAME COLUMN
//       reads one column as LanceDB does (query().select([COLUMN]).toArrow())
//       and prints {"rows": N, "sha256": hash of the column's value bytes}.
//       For an s3:// DB_URI the endpoint is $LANCEDB_ENDPOINT (plain http),
//       the keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, region us-east-1.
import crypto from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/gen/package.json');
const req = createRequire(gen);
const lancedb = await import(pathToFileURL(req.resolve('@lancedb/lancedb')).href);
const arrow = await import(pathToFileURL(req.resolve('apache-arrow')).href);

export const FLOAT_COLUMNS = Array.from({ length: 16 }, (_, k) => `f${String(k).padStart(2, '0')}`);
const DIM = 64;

// xorshift-multiply of (seed, column, row): a float in [-1, 1)
function value(seed, col, row) {
  let x = (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(col + 7, 0x85ebca6b) ^ Math.imul(row + 13, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x / 2 ** 31 - 1;
}

function makeTable(rows, seed) {
  const cols = {};
  cols.id = arrow.makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)));
  const flat = new Float32Array(rows * DIM);
  for (let i = 0; i < flat.length; i++) flat[i] = value(seed, 100 + (i % DIM), Math.floor(i / DIM));
  const item = new arrow.Field('item', new arrow.Float32(), true);
  cols.vec = arrow.makeVector(
    arrow.makeData({
      type: new arrow.FixedSizeList(DIM, item),
      length: rows,
      nullCount: 0,
      child: arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat }),
    }),
  );
  FLOAT_COLUMNS.forEach((name, k) => {
    cols[name] = arrow.makeVector(Float64Array.from({ length: rows }, (_, i) => value(seed, k, i)));
  });
  cols.cat = arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i % 7));
  return new arrow.Table(cols);
}

function storageOptions() {
  return {
    endpoint: process.env.LANCEDB_ENDPOINT,
    region: 'us-east-1',
    aws_access_key_id: process.env.AWS_ACCESS_KEY_ID,
    aws_secret_access_key: process.env.AWS_SECRET_ACCESS_KEY,
    allow_http: 'true',
  };
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'make') {
  const [dir, name, rows, seed] = args;
  const db = await lancedb.connect(dir);
  await db.createTable(name, makeTable(Number(rows), Number(seed)), {
    mode: 'overwrite',
    storageOptions: { newTableDataStorageVersion: '2.1' },
  });
} else if (cmd === 'read') {
  const [uri, name, column] = args;
  const db = await lancedb.connect(uri, uri.startsWith('s3://') ? { storageOptions: storageOptions() } : {});
  const tbl = await db.openTable(name);
  const t = await tbl.query().select([column]).toArrow();
  const h = crypto.createHash('sha256');
  const vec = t.getChild(column);
  for (const d of vec.data) {
    const leaf = d.children.length ? d.children[0] : d;
    const v = leaf.values;
    h.update(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  console.log(JSON.stringify({ rows: t.numRows, sha256: h.digest('hex') }));
} else {
  console.error('usage: cache_lancedb.mjs make DIR NAME ROWS SEED | read DB_URI NAME COLUMN');
  process.exit(2);
}

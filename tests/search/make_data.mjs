// Writes the tables the search comparison runs on, with LanceDB itself, and records what
// LanceDB answers to a set of queries on them: exact (flat) kNN for each metric over float16,
// float32 and float64 vectors of several dimensions, with filters, k, offset, limit, columns,
// deleted rows, older versions and tags; and filtered scans.
//
//   node make_data.mjs OUTDIR
//
// OUTDIR/db/NAME.lance are the tables; OUTDIR/cases.json lists the cases:
//   [{"name", "table", "query": <the lancefs query object>,
//     "keys": [column names LanceDB returned, _rowid left out],
//     "rows": [{"rowid": "123", "distance": 0.5 | absent, "id": 7}, ...]}, ...]
// LanceDB and Arrow are loaded from tests/fixtures/gen/node_modules (tests/fixtures/setup.sh
// installs them), or from the directory in $LANCEDB_NODE_MODULES.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.LANCEDB_NODE_MODULES ||
  path.resolve(here, '..', 'fixtures', 'gen', 'node_modules');
const require = createRequire(path.join(path.dirname(modules), 'package.json'));
const lancedb = require(path.join(modules, '@lancedb', 'lancedb'));
const arrow = require(path.join(modules, 'apache-arrow'));

const out = process.argv[2];
if (!out) {
  console.error('usage: node make_data.mjs OUTDIR');
  process.exit(2);
}
fs.rmSync(path.join(out, 'db'), { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'db'), { recursive: true });
const db = await lancedb.connect(path.join(out, 'db'));

// deterministic numbers: xorshift64
let state = 0x9e3779b97f4a7c15n;
function nextU64() {
  state ^= (state << 13n) & 0xffffffffffffffffn;
  state ^= state >> 7n;
  state ^= (state << 17n) & 0xffffffffffffffffn;
  return state;
}
const unit = () => Number(nextU64() >> 11n) / 2 ** 53;          // [0, 1)
const between = (lo, hi) => lo + (hi - lo) * unit();
const pick = (xs) => xs[Math.floor(unit() * xs.length)];
const vec = (dim) => Array.from({ length: dim }, () => between(-1, 1));

const fsl = (dim, t) => new arrow.FixedSizeList(dim, new arrow.Field('item', t, true));
const F32 = new arrow.Float32();

// ---------------------------------------------------------------- "vectors" (2.1)
const vectorsSchema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('label', new arrow.Utf8(), true),
  new arrow.Field('year', new arrow.Int32(), true),
  new arrow.Field('score', new arrow.Float64(), true),
  new arrow.Field('flag', new arrow.Bool(), true),
  new arrow.Field('vector', fsl(32, F32), true),
  new arrow.Field('v8', fsl(8, F32), true),
  new arrow.Field('v13', fsl(13, F32), true),
  new arrow.Field('v100', fsl(100, F32), true),
]);
const twin = vec(32);        // many rows hold exactly this vector: ties
function vectorsRows(first, n) {
  const rows = [];
  for (let i = first; i < first + n; i++) {
    const r = unit();
    rows.push({
      id: BigInt(i),
      label: r < 0.1 ? null : pick(['car', 'bus', 'bike', 'truck', 'Car', 'boat']),
      year: unit() < 0.05 ? null : 1990 + Math.floor(unit() * 35),
      score: unit() < 0.05 ? null : unit() < 0.03 ? NaN : between(-1, 2),
      flag: unit() < 0.1 ? null : unit() < 0.5,
      vector: i % 97 === 5 ? null : i % 50 === 7 ? twin.slice() : i % 211 === 3 ? new Array(32).fill(0) : vec(32),
      v8: vec(8),
      v13: vec(13),
      v100: vec(100),
    });
  }
  return rows;
}
const v21 = { storageOptions: { newTableDataStorageVersion: '2.1' } };
const vectors = await db.createTable('vectors', vectorsRows(0, 1200),
  { schema: vectorsSchema, mode: 'overwrite', ...v21 });
await vectors.add(vectorsRows(1200, 1000));
await vectors.add(vectorsRows(2200, 1300));
const beforeDelete = await vectors.version();
await (await vectors.tags()).create('before_delete', beforeDelete);
await vectors.delete('id % 13 = 4 OR (id >= 1500 AND id < 1900)');
await vectors.add(vectorsRows(3500, 300));

// ---------------------------------------------------------------- other element types
async function simpleTable(name, type, dim, n, opts) {
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int64(), false),
    new arrow.Field('tag', new arrow.Utf8(), true),
    new arrow.Field('vector', fsl(dim, type), true),
  ]);
  const rows = [];
  for (let i = 0; i < n; i++)
    rows.push({ id: BigInt(i), tag: pick(['a', 'b', 'c', null]), vector: i % 41 === 9 ? null : vec(dim) });
  const t = await db.createTable(name, rows.slice(0, n >> 1), { schema, mode: 'overwrite', ...opts });
  await t.add(rows.slice(n >> 1));
  await t.delete('id % 10 = 1');
  return t;
}
const halfs = await simpleTable('halfs', new arrow.Float16(), 16, 1500, v21);
const doubles = await simpleTable('doubles', new arrow.Float64(), 24, 1500, v21);
const legacy = await simpleTable('legacy', F32, 16, 1500,
  { storageOptions: { newTableDataStorageVersion: 'legacy' } });

// ---------------------------------------------------------------- cases
const cases = [];
const tables = { vectors, halfs, doubles, legacy };

// Runs one case through LanceDB: q is the lancefs query object.
async function record(name, table, q) {
  let t = tables[table];
  if (q.version !== undefined || q.tag !== undefined) {
    t = await db.openTable(table);
    await t.checkout(q.version !== undefined ? q.version : q.tag);
  }
  let b;
  if (q.nearest) {
    b = t.query().nearestTo(q.nearest.vector).bypassVectorIndex();
    if (q.nearest.column) b = b.column(q.nearest.column);
    if (q.nearest.metric) b = b.distanceType(q.nearest.metric);
    let k = q.nearest.k ?? q.limit ?? 10;
    if (q.limit !== undefined && q.limit < k) k = q.limit;
    b = b.limit(k);
  } else {
    b = t.query();
    if (q.limit !== undefined) b = b.limit(q.limit);
  }
  if (q.offset !== undefined) b = b.offset(q.offset);
  if (q.filter !== undefined) b = b.where(q.filter);
  if (q.columns !== undefined) b = b.select(q.columns);
  b = b.withRowId();
  const result = await b.toArray();
  const keys = result.length ? Object.keys(result[0]).filter((k) => k !== '_rowid') : null;
  const rows = result.map((r) => {
    const row = { rowid: r._rowid.toString() };
    if (r._distance !== undefined) row.distance = r._distance;
    if (r.id !== undefined) row.id = Number(r.id);
    return row;
  });
  cases.push({ name, table, query: q, keys, rows });
}

const metrics = ['l2', 'cosine', 'dot'];
for (const metric of metrics) {
  const q = vec(32);
  const n = (s) => `vectors ${metric} ${s}`;
  await record(n('k=10'), 'vectors', { nearest: { column: 'vector', vector: q, k: 10, metric }, columns: ['id'] });
  await record(n('default k, every column'), 'vectors', { nearest: { column: 'vector', vector: q, metric } });
  await record(n('k=100, id and label'), 'vectors', { nearest: { column: 'vector', vector: q, k: 100, metric }, columns: ['id', 'label'] });
  await record(n('ties'), 'vectors', { nearest: { column: 'vector', vector: twin.map((x) => x + 1e-3), k: 80, metric }, columns: ['id'] });
  await record(n('the twin itself'), 'vectors', { nearest: { column: 'vector', vector: twin, k: 60, metric }, columns: ['id'] });
  await record(n('dim 8'), 'vectors', { nearest: { column: 'v8', vector: vec(8), k: 15, metric }, columns: ['id'] });
  await record(n('dim 13'), 'vectors', { nearest: { column: 'v13', vector: vec(13), k: 15, metric }, columns: ['id'] });
  await record(n('dim 100'), 'vectors', { nearest: { column: 'v100', vector: vec(100), k: 15, metric }, columns: ['id'] });
  await record(n('filter'), 'vectors', { nearest: { column: 'vector', vector: q, k: 25, metric }, filter: "label = 'car' AND year >= 2010", columns: ['id', 'year'] });
  await record(n('filter with nulls'), 'vectors', { nearest: { column: 'vector', vector: q, k: 30, metric }, filter: 'label IS NULL OR score > 0.5', columns: ['id'] });
  await record(n('filter, fewer rows than k'), 'vectors', { nearest: { column: 'vector', vector: q, k: 500, metric }, filter: "year = 2001 AND flag", columns: ['id'] });
  await record(n('offset'), 'vectors', { nearest: { column: 'vector', vector: q, k: 5, metric }, offset: 3, columns: ['id'] });
  await record(n('limit, no k'), 'vectors', { nearest: { column: 'vector', vector: q, metric }, limit: 15, columns: ['id'] });
  await record(n('limit below k'), 'vectors', { nearest: { column: 'vector', vector: q, k: 20, metric }, limit: 4, columns: ['id'] });
  await record(n('large values'), 'vectors', { nearest: { column: 'vector', vector: q.map((x) => x * 1000), k: 10, metric }, columns: ['id'] });
  await record(n('old version, before the delete'), 'vectors', { nearest: { column: 'vector', vector: q, k: 20, metric }, columns: ['id'], version: beforeDelete });
  await record(n('tag'), 'vectors', { nearest: { column: 'vector', vector: q, k: 20, metric }, columns: ['id'], tag: 'before_delete' });
  await record(n('version 1'), 'vectors', { nearest: { column: 'vector', vector: q, k: 20, metric }, columns: ['id'], version: 1 });
  for (const table of ['halfs', 'doubles', 'legacy']) {
    const dim = table === 'doubles' ? 24 : 16;
    const v = vec(dim);
    await record(`${table} ${metric} k=10`, table, { nearest: { column: 'vector', vector: v, k: 10, metric }, columns: ['id', 'tag'] });
    await record(`${table} ${metric} k=50 filter`, table, { nearest: { column: 'vector', vector: v, k: 50, metric }, filter: "tag <> 'a'", columns: ['id'] });
  }
}
// LanceDB finds the one vector column itself
await record('halfs, no column named', 'halfs', { nearest: { vector: vec(16), k: 5 }, columns: ['id'] });

// filtered scans: rows in scan order with _rowid
const filters = [
  "label = 'car'", "label <> 'car'", "label < 'bus'", "label LIKE 'b%'", "label LIKE '_us'",
  "label NOT LIKE '%a%'", "label ILIKE 'car'", "label LIKE 'c\\_r'", "label IN ('bus', 'bike')",
  "label NOT IN ('bus', NULL)", "label IS NULL", "label IS NOT NULL AND year IS NULL",
  'year BETWEEN 2000 AND 2004', 'year NOT BETWEEN 1995 AND 2020', 'year IN (1990, 2001, NULL)',
  'year > 2020 OR score < -0.9', 'NOT (year > 2000)', 'NOT flag', 'flag', 'flag = false',
  'flag IS NOT TRUE', 'flag IS FALSE AND year < 1995', 'score > 1.5', 'score >= 2', 'score < 0',
  'score = score', 'score <> score', 'score IS NULL', 'score > 1e300',
  'id >= 1490 AND id < 1510', 'id = 3499', '(year = 2000 OR year = 2001) AND label = \'bus\'',
  "year = 2000 OR year = 2001 AND label = 'bus'", 'TRUE', 'FALSE', 'year > NULL',
  "label = 'car' AND (flag OR score > 1)",
];
for (const f of filters) {
  await record(`scan: ${f}`, 'vectors', { filter: f, columns: ['id'] });
}
await record('scan: limit', 'vectors', { columns: ['id', 'label'], limit: 7 });
await record('scan: offset and limit', 'vectors', { columns: ['id'], filter: "label = 'bus'", offset: 20, limit: 5 });
await record('scan: offset past the end', 'vectors', { columns: ['id'], filter: 'year = 2001', offset: 100000 });
await record('scan: every column', 'vectors', { filter: 'id < 3' });
await record('scan: old version', 'vectors', { columns: ['id'], filter: 'id >= 1495 AND id < 1505', version: beforeDelete });
await record('scan: legacy file', 'legacy', { columns: ['id', 'tag'], filter: "tag = 'b' AND id > 1400" });
await record('scan: float16 table', 'halfs', { columns: ['id'], filter: 'tag IS NULL AND id < 300' });

fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify(cases, null, 1) + '\n');
console.log(`${cases.length} cases in ${path.join(out, 'cases.json')}`);

// Writes small Lance test datasets with LanceDB and dumps, in a canonical text
// form, the exact values LanceDB reads back from them.
//
//   cd DIR_WITH_NODE_MODULES && node gen.mjs VERSION OUTDIR
//
// (tests/fixtures/gen has the node_modules: @lancedb/lancedb 0.37.1 and
// apache-arrow 18.1.0.)  OUTDIR should be empty.  VERSION is a LanceDB data
// storage version ("legacy", "2.0", ...).  For v2 versions the writer's
// page size is made small (LANCE_FILE_WRITER_MAX_PAGE_BYTES) so that small
// tables still have several pages per column.  For each table NAME it
// writes OUTDIR/NAME.lance (the dataset) and OUTDIR/NAME.expected with one
// line per column and row: "COLUMN<TAB>ROW<TAB>VALUE".  VALUE is
//   null                  a null slot
//   true | false          bool
//   HEX                   fixed-width values: their little-endian bytes in hex
//   "HEX"                 strings and binaries: their bytes in hex
//   [V,V,...]             lists and fixed-size lists
//   {V,V,...}             structs, children in schema order
// Dictionary columns show their values.  Blob columns (LanceDB returns a
// (position, size) description for them) show the bytes at that position
// of the data file, read here, or null for the (1, 0) null marker.
import { createRequire } from 'module';
const require = createRequire(process.cwd() + '/');
const lancedb = require('@lancedb/lancedb');
const arrow = require('apache-arrow');
const fs = require('fs');

const version = process.argv[2];
const outdir = process.argv[3];
if (!version || !outdir) throw new Error('usage: node gen.mjs VERSION OUTDIR');
const skip = new Set((process.argv[4] || '').split(',').filter(Boolean));
if (version !== 'legacy' && !process.env.LANCE_FILE_WRITER_MAX_PAGE_BYTES)
  process.env.LANCE_FILE_WRITER_MAX_PAGE_BYTES = '1024';

const F = (name, type, nullable = true, meta) =>
  new arrow.Field(name, type, nullable, meta ? new Map(Object.entries(meta)) : undefined);
const range = (n) => [...Array(n).keys()];

function makeTable(columns, n) {
  const fields = [], children = [];
  for (const [name, type, vals, nullable, meta] of columns) {
    if (skip.has(name)) continue;
    const v = vals instanceof arrow.Vector ? vals : arrow.vectorFromArray(vals, type);
    if (v.data.length !== 1) throw new Error('column ' + name + ' has several chunks');
    fields.push(F(name, v.type, nullable !== false, meta));
    children.push(v.data[0]);
  }
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(new arrow.Schema(fields), data)]);
}

// Arrow JS leaves no child slots for null fixed-size-list rows; build them by hand.
function fslVector(size, itemType, vals) {
  const flat = [];
  for (const v of vals) for (let k = 0; k < size; k++) flat.push(v === null ? null : v[k]);
  const child = arrow.vectorFromArray(flat, itemType).data[0];
  const bitmap = new Uint8Array((vals.length + 7) >> 3);
  let nulls = 0;
  vals.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); else nulls++; });
  const type = new arrow.FixedSizeList(size, F('item', itemType));
  return arrow.makeVector(arrow.makeData({ type, length: vals.length, nullCount: nulls, nullBitmap: bitmap, child }));
}

// ---- canonical rendering of what LanceDB returns ----
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
function isValid(d, i) {
  if (d.typeId === arrow.Type.Null) return false;
  if (!d.nullBitmap || d.nullCount === 0) return true;
  const j = d.offset + i;
  return (d.nullBitmap[j >> 3] >> (j & 7)) & 1;
}
function render(d, i) {
  if (!isValid(d, i)) return 'null';
  const t = d.type;
  if (d.dictionary) {
    const key = Number(d.values[d.offset + i]);
    const vd = d.dictionary.data;
    let k = key;
    for (const c of vd) { if (k < c.length) return render(c, k); k -= c.length; }
    throw new Error('dictionary key out of range');
  }
  switch (d.typeId) {
    case arrow.Type.Bool: {
      const j = d.offset + i;
      return (d.values[j >> 3] >> (j & 7)) & 1 ? 'true' : 'false';
    }
    case arrow.Type.Utf8: case arrow.Type.Binary:
    case arrow.Type.LargeUtf8: case arrow.Type.LargeBinary: {
      const o = d.valueOffsets;
      const a = Number(o[d.offset + i]), b = Number(o[d.offset + i + 1]);
      return '"' + hex(d.values.subarray(a, b)) + '"';
    }
    case arrow.Type.List: case arrow.Type.LargeList: {
      const o = d.valueOffsets;
      const a = Number(o[d.offset + i]), b = Number(o[d.offset + i + 1]);
      const out = [];
      for (let k = a; k < b; k++) out.push(render(d.children[0], k));
      return '[' + out.join(',') + ']';
    }
    case arrow.Type.FixedSizeList: {
      const n = t.listSize, out = [];
      for (let k = 0; k < n; k++) out.push(render(d.children[0], (d.offset + i) * n + k));
      return '[' + out.join(',') + ']';
    }
    case arrow.Type.Struct:
      return '{' + d.children.map((c) => render(c, d.offset + i)).join(',') + '}';
    default: {
      const v = d.values;
      const w = d.stride * v.BYTES_PER_ELEMENT;
      const u8 = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return hex(u8.subarray((d.offset + i) * w, (d.offset + i + 1) * w));
    }
  }
}

// Reads through a fresh connection: a table object that just wrote keeps the
// writer's in-memory schema (e.g. dictionaries as given, not as stored).
function renderBlob(file, d, i) {
  const pos = BigInt(d.children[0].values[d.offset + i]), size = BigInt(d.children[1].values[d.offset + i]);
  if (pos === 1n && size === 0n) return 'null';
  return '"' + file.subarray(Number(pos), Number(pos + size)).toString('hex') + '"';
}

async function dump(t, file, keep = () => true, blobs = []) {
  const fresh = await (await lancedb.connect(outdir)).openTable(t.name);
  const tbl = await fresh.query().toArrow();
  const lines = [];
  const names = tbl.schema.fields.map((f) => f.name);
  let dataFile = null;
  if (blobs.length) {
    const dir = outdir + '/' + t.name + '.lance/data';
    const files = fs.readdirSync(dir);
    if (files.length !== 1) throw new Error('blob tables must have one data file');
    dataFile = fs.readFileSync(dir + '/' + files[0]);
  }
  for (let c = 0; c < names.length; c++) {
    let row = 0;
    for (const b of tbl.batches) {
      const d = b.getChildAt(c).data[0];
      for (let i = 0; i < d.length; i++, row++) {
        if (!keep(row)) continue;
        const v = blobs.includes(names[c]) ? renderBlob(dataFile, d, i) : render(d, i);
        lines.push(names[c] + '\t' + row + '\t' + v);
      }
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return lines.length;
}

async function create(db, name, table) {
  const t = await db.createTable(name, table, {
    mode: 'overwrite', storageOptions: { new_table_data_storage_version: version } });
  return t;
}

// ---- the tables ----
const db = await lancedb.connect(outdir);

// types: every type, nulls, empty values, special floats; one small batch.
{
  const n = 20;
  const ix = range(n);
  const nul = (k, f) => ix.map((i) => (i % k === k - 1 ? null : f(i)));
  const f64s = [0, -0, 1.5, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, -2.5, 1 / 3];
  const strs = ['', 'a', 'hello', 'é😀', 'x'.repeat(40)];
  const cols = [
    ['id', new arrow.Int64(), ix.map((i) => BigInt(i)), false],
    ['i8', new arrow.Int8(), nul(4, (i) => (i * 37) % 256 - 128)],
    ['i16', new arrow.Int16(), nul(5, (i) => i * 3000 - 30000)],
    ['i32', new arrow.Int32(), nul(3, (i) => (i - 10) * 200000000)],
    ['i64', new arrow.Int64(), nul(6, (i) => BigInt(i - 10) * 922337203685477580n)],
    ['u8', new arrow.Uint8(), ix.map((i) => (i * 13) % 256)],
    ['u16', new arrow.Uint16(), ix.map((i) => i * 3000)],
    ['u32', new arrow.Uint32(), ix.map((i) => i * 200000000)],
    ['u64', new arrow.Uint64(), ix.map((i) => BigInt(i) * 922337203685477580n)],
    ['f16', new arrow.Float16(), nul(7, (i) => (i - 5) / 4)],
    ['f32', new arrow.Float32(), nul(7, (i) => f64s[i % f64s.length])],
    ['f64', new arrow.Float64(), nul(7, (i) => f64s[i % f64s.length])],
    ['bo', new arrow.Bool(), nul(3, (i) => i % 2 === 0)],
    ['d32', new arrow.DateDay(), nul(5, (i) => new Date(86400000 * (i * 1000 - 5000)))],
    ['d64', new arrow.DateMillisecond(), nul(5, (i) => new Date(86400000 * i))],
    ['t32s', new arrow.TimeSecond(), ix.map((i) => i * 3601)],
    ['t32ms', new arrow.TimeMillisecond(), ix.map((i) => i * 3601001)],
    ['t64us', new arrow.TimeMicrosecond(), ix.map((i) => BigInt(i) * 3601000001n)],
    ['t64ns', new arrow.TimeNanosecond(), ix.map((i) => BigInt(i) * 3601000000001n)],
    ['ts_s', new arrow.TimestampSecond(), nul(4, (i) => i * 86400000 * 400)],
    ['ts_ms', new arrow.TimestampMillisecond(), ix.map((i) => i * 123456789)],
    ['ts_us', new arrow.TimestampMicrosecond('UTC'), ix.map((i) => i * 1001.5)],
    ['ts_ns', new arrow.TimestampNanosecond('America/New_York'), ix.map((i) => i * 1000.25)],
    ['dur_s', new arrow.DurationSecond(), ix.map((i) => BigInt(i * 60))],
    ['dur_ns', new arrow.DurationNanosecond(), nul(3, (i) => BigInt(i) * 7n - 50n)],
    ['dec', new arrow.Decimal(2, 10, 128), nul(4, (i) => new Uint32Array([i * 12345, 0, 0, 0]))],
    ['s', new arrow.Utf8(), nul(4, (i) => strs[i % strs.length])],
    ['s_nn', new arrow.Utf8(), ix.map((i) => strs[i % strs.length]), false],
    ['ls', new arrow.LargeUtf8(), nul(5, (i) => 'large' + i)],
    ['bin', new arrow.Binary(), nul(3, (i) => new Uint8Array(range(i % 4).map((k) => 255 - k - i)))],
    ['lb', new arrow.LargeBinary(), ix.map((i) => new Uint8Array([i, 0, 255]))],
    ['fsb', new arrow.FixedSizeBinary(3), nul(6, (i) => new Uint8Array([i, 2 * i, 3 * i]))],
    ['fsl', null, fslVector(3, new arrow.Float32(), nul(5, (i) => [i / 2, i % 3 ? -i : null, i * 1e10]))],
    ['fsl_i', new arrow.FixedSizeList(2, F('item', new arrow.Int16())), ix.map((i) => [i, -i])],
    ['fsl_b', new arrow.FixedSizeList(3, F('item', new arrow.Bool())), ix.map((i) => [i % 2 === 0, i % 3 === 0, true])],
    ['li', new arrow.List(F('item', new arrow.Int32())), nul(4, (i) => range(i % 3).map((k) => k * 100 + i))],
    ['li_s', new arrow.List(F('item', new arrow.Utf8())), ix.map((i) => range(i % 4).map((k) => (k === 1 ? '' : 's' + i + '_' + k)))],
    ['lst', new arrow.List(F('item', new arrow.Struct([F('x', new arrow.Int16()), F('y', new arrow.Float64())]))),
      ix.map((i) => range(i % 3).map((k) => ({ x: i * 10 + k, y: i / 4 })))],
    ['ll', new arrow.List(F('item', new arrow.List(F('item', new arrow.Int8())))), ix.map((i) => range(i % 3).map((k) => range(k + 1).map((j) => i - j)))],
    ['st', new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8()), F('c', new arrow.Struct([F('z', new arrow.Bool())]))]),
      ix.map((i) => (i % 7 === 6 ? null : { a: i * 11, b: 'b' + i, c: { z: i % 2 === 1 } }))],
    ['sl', new arrow.Struct([F('l', new arrow.List(F('item', new arrow.Int64())))]), ix.map((i) => ({ l: range(i % 3).map((k) => BigInt(k * i)) }))],
    ['dict', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), nul(5, (i) => ['red', 'green', 'blue', ''][i % 4])],
    ['dict8', new arrow.Dictionary(new arrow.Utf8(), new arrow.Uint8()), ix.map((i) => ['x', 'yy'][i % 2])],
    ['nul', new arrow.Null(), ix.map(() => null)],
  ];
  const t = await create(db, 'types', makeTable(cols, n));
  console.log('types', await dump(t, outdir + '/types.expected'), 'values');
}

// batches: enough rows for several row groups / pages, then a column added
// later (a second data file in the same fragment holding only that field).
// Only some rows go to the expected file, to keep it small: the first ones,
// those around 1024-row boundaries, every 37th and the last ones.
{
  const n = 2100;
  const ix = range(n);
  const cols = [
    ['i', new arrow.Int32(), ix.map((i) => i * 7 - 1000)],
    ['s', new arrow.Utf8(), ix.map((i) => (i % 11 === 0 ? null : String(i % 97)))],
    ['b', new arrow.Bool(), ix.map((i) => i % 3 === 1)],
    ['l', new arrow.List(F('item', new arrow.Int16())), ix.map((i) => range(i % 3).map((k) => i + k))],
    ['d', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16()), ix.map((i) => ['low', 'mid', 'high'][i % 3])],
  ];
  const t = await create(db, 'batches', makeTable(cols, n));
  await t.addColumns([{ name: 'extra', valueSql: 'CAST(i * 2 AS BIGINT)' }]);
  const keep = (r) => r < 40 || r % 37 === 0 || Math.abs(r - 1024) < 6 || Math.abs(r - 2048) < 6 || r >= n - 6;
  console.log('batches', await dump(t, outdir + '/batches.expected', keep), 'values');
}

// encodings (v2 only): what field metadata and data make the writer choose:
// zstd / lz4 / FSST compressed strings, low-cardinality strings (dictionary),
// a packed struct and a blob column, all over several pages.
if (version !== 'legacy') {
  const n = 300;
  const ix = range(n);
  const meta = (k, v) => ({ [k]: v });
  const cols = [
    ['i', new arrow.Int32(), ix.map((i) => (i % 7 === 0 ? null : i * 3))],
    ['zs', new arrow.Utf8(), ix.map((i) => (i % 5 === 0 ? null : 'zstd string ' + i)), true, meta('lance-encoding:compression', 'zstd')],
    // long enough that a page holds under 100 rows: no dictionary, so lz4
    ['lz', new arrow.Utf8(), ix.map((i) => (i % 6 === 0 ? '' : 'lz4 compressed text ' + i + ' ' + 'x'.repeat(i % 20))), true, meta('lance-encoding:compression', 'lz4')],
    ['fs', new arrow.Utf8(), ix.map((i) => (i % 9 === 0 ? null : 'fsst string number ' + i + (i % 4 ? '' : ' é'))), true, meta('lance-encoding:compression', 'fsst')],
    ['lowcard', new arrow.Utf8(), ix.map((i) => (i % 13 === 0 ? null : i % 17 === 0 ? '' : 'v' + (i % 5)))],
    ['ps', new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Float64()), F('v', new arrow.FixedSizeList(2, F('item', new arrow.Int16())))]),
      ix.map((i) => ({ a: i - 150, b: i / 8, v: [i, -i] })), true, meta('packed', 'true')],
    ['blob', new arrow.LargeBinary(), ix.map((i) => (i % 4 === 0 ? null : i % 10 === 1 ? new Uint8Array(0) : new Uint8Array(range(i % 7 + 1).map((k) => (i * 7 + k) & 255)))), true, meta('lance-encoding:blob', 'true')],
    ['zi', new arrow.Int64(), ix.map((i) => BigInt(i) - 100n), true, meta('lance-encoding:compression', 'zstd')],
    ['lbin', new arrow.LargeUtf8(), ix.map((i) => (i % 8 === 0 ? null : 'large ' + i))],
  ];
  const t = await create(db, 'encodings', makeTable(cols, n));
  console.log('encodings', await dump(t, outdir + '/encodings.expected', () => true, ['blob']), 'values');
}

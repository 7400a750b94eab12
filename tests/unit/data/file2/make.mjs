// Writes the small Lance 2.1 / 2.2 datasets that tests/unit/test_file2.c
// decodes, with LanceDB itself, and records what LanceDB reads back.
//
//   cd /tmp/gen && LANCEDB_NODE_DIR=/tmp/gen node /path/to/make.mjs OUTDIR [TABLE]
//
// LANCEDB_NODE_DIR is a directory whose node_modules holds @lancedb/lancedb
// 0.37.1 and apache-arrow 18.1.0.  For every table and storage version
// (2.1, 2.2) it leaves OUTDIR/NAME_VV/ with the newest manifest
// (_versions/) and the data file (data/), and OUTDIR/NAME_VV.expected:
//
//   table NAME_VV            rows N
//   col FIELD ARROW_TYPE     then one line per row: ROW VALUE, or
//                            ROW*COUNT VALUE for COUNT rows of one value
//
// (compressed with the zstd command line tool: NAME_VV.expected.zst).
//
// VALUE is N for null, 0/1 for bool, the little-endian bytes in hex for
// fixed-width values (ints, floats, dates, times, decimals, fixed-size
// binary), x + hex bytes for strings and binary, [a,b] for lists and
// fixed-size lists, {a,b} for structs, a map as a list of {key,value}.
// Values come from LanceDB's own scan of the table, except for columns
// listed in `fromInput` (legacy blobs, which LanceDB scans as their
// position/size descriptions): those come from the rows written.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
const require = createRequire((process.env.LANCEDB_NODE_DIR || '/tmp/gen') + '/');
const lancedb = require('@lancedb/lancedb');
const A = require('apache-arrow');

const out = process.argv[2];
const only = process.argv[3];
if (!out) throw new Error('usage: node make.mjs OUTDIR [TABLE]');
fs.mkdirSync(out, { recursive: true });

const F = (name, type, nullable = true, meta) =>
  new A.Field(name, type, nullable, meta ? new Map(Object.entries(meta)) : undefined);
const IT = (t, nullable = true) => F('item', t, nullable);
function dec(v, words) {
  const u = new Uint32Array(words);
  let x = BigInt.asUintN(words * 32, BigInt(v));
  for (let i = 0; i < words; i++) { u[i] = Number(x & 0xffffffffn); x >>= 32n; }
  return u;
}

const tables = [];
// opts: minVersion, batches (write in this many record batches: more pages), fromInput
function T(name, rows, fields, gen, opts = {}) { tables.push({ name, rows, fields, gen, opts }); }

// Every primitive type, with nulls; 1100 rows make two or more mini-blocks.
T('prim', 1100, [
  F('i8', new A.Int8()), F('i16', new A.Int16()), F('i32', new A.Int32(), false), F('i64', new A.Int64()),
  F('u8', new A.Uint8()), F('u16', new A.Uint16()), F('u32', new A.Uint32()), F('u64', new A.Uint64()),
  F('f16', new A.Float16()), F('f32', new A.Float32()), F('f64', new A.Float64()), F('b', new A.Bool()),
], (i) => ({
  i8: i % 7 == 0 ? null : (i % 200) - 100, i16: i % 11 == 0 ? null : i * 7 - 3000, i32: i * 1000 - 5,
  i64: i % 13 == 0 ? null : BigInt(i) * 123456789n - 99n,
  u8: i % 256, u16: i * 3 % 65536, u32: i % 5 == 0 ? null : i * 100000, u64: BigInt(i) * 0x100000001n,
  f16: i % 9 == 0 ? null : i / 8, f32: i % 3 == 0 ? null : Math.fround(i * 0.1),
  f64: i == 5 ? -0.0 : (i == 6 ? NaN : (i == 7 ? Infinity : (i == 8 ? -Infinity : i * 1e-3))),
  b: i % 17 == 0 ? null : (i * 7) % 3 == 0,
}));

// Strings and binary: FSST, plain, dictionary, fixed-size binary, empty values.
T('str', 1100, [
  F('s', new A.Utf8()), F('ls', new A.LargeUtf8()), F('bin', new A.Binary()), F('lb', new A.LargeBinary()),
  F('dict', new A.Utf8()), F('fsb', new A.FixedSizeBinary(5)), F('empty', new A.Utf8(), false),
], (i) => ({
  s: i % 10 == 0 ? null : 'str-' + i + '-' + 'x'.repeat(i % 17), ls: i % 4 == 1 ? null : 'large ' + (i * 31 % 1000),
  bin: i % 6 == 0 ? null : Uint8Array.from({ length: i % 9 }, (_, k) => (i + k) & 255),
  lb: Uint8Array.from({ length: i % 3 }, (_, k) => k * 50),
  dict: i % 50 == 0 ? null : ['red', 'green', 'blue', 'cyan'][i % 4],
  fsb: i % 8 == 0 ? null : Uint8Array.from([i & 255, 1, 2, 3, (i >> 8) & 255]), empty: i % 2 ? '' : 'é',
}));

// Dates, times, timestamps in every unit, durations, decimals.
T('time', 400, [
  F('d32', new A.DateDay()), F('d64', new A.DateMillisecond()), F('t32s', new A.TimeSecond()),
  F('t32ms', new A.TimeMillisecond()), F('t64us', new A.TimeMicrosecond()), F('t64ns', new A.TimeNanosecond()),
  F('tss', new A.Timestamp(A.TimeUnit.SECOND)), F('tsms', new A.Timestamp(A.TimeUnit.MILLISECOND, 'UTC')),
  F('tsus', new A.Timestamp(A.TimeUnit.MICROSECOND, 'America/New_York')), F('tsns', new A.Timestamp(A.TimeUnit.NANOSECOND)),
  F('dur', new A.Duration(A.TimeUnit.MICROSECOND)), F('dec', new A.Decimal(3, 20, 128)), F('dec256', new A.Decimal(4, 50, 256)),
], (i) => ({
  d32: i % 5 == 0 ? null : new Date(Date.UTC(2000, 0, 1) + i * 86400000), d64: new Date(Date.UTC(1969, 11, 31) + i * 3600000),
  t32s: i % 86400, t32ms: i * 1001, t64us: BigInt(i) * 1000001n, t64ns: i % 7 == 0 ? null : BigInt(i) * 999999937n,
  tss: i * 1000, tsms: i * 1000 + 1, tsus: i % 3 == 0 ? null : i * 1000, tsns: i * 1000,
  dur: BigInt(i * 77 - 5000), dec: i % 4 == 0 ? null : dec(i * 1234567 - 500000, 4),
  dec256: i % 9 == 0 ? null : dec(BigInt(i) * 10n ** 30n - 7n, 8),
}));

// Fixed-size lists (vectors): plain, nullable rows, nullable items, nested.
T('vec', 600, [
  F('v', new A.FixedSizeList(8, F('item', new A.Float32(), true)), false),
  F('vn', new A.FixedSizeList(3, F('item', new A.Int16(), true)), true),
  F('vni', new A.FixedSizeList(2, F('item', new A.Float64(), true)), true),
  F('vv', new A.FixedSizeList(2, F('item', new A.FixedSizeList(2, F('item', new A.Int32(), true)), true)), true),
  F('vb', new A.FixedSizeList(3, F('item', new A.Bool(), true)), true),
], (i) => ({
  v: Array.from({ length: 8 }, (_, k) => Math.fround(i * 0.5 + k)),
  vn: i % 9 == 0 ? null : [i, -i, i % 100],
  vni: i % 7 == 0 ? null : [i % 5 == 0 ? null : i * 1.5, -i],
  vv: i % 11 == 0 ? null : [[i, i + 1], i % 5 == 0 ? null : [i * 2, i % 4 == 0 ? null : i * 3]],
  vb: i % 6 == 0 ? null : [i % 2 == 0, i % 3 == 0 ? null : true, false],
}));

// Wide vectors go to the full-zip layout.
T('bigvec', 70, [
  F('big', new A.FixedSizeList(80, F('item', new A.Float32(), true)), true),
  F('plain', new A.FixedSizeList(72, F('item', new A.Float32(), false)), false),
], (i) => ({
  big: i % 13 == 0 ? null : Array.from({ length: 80 }, (_, k) => (k == 3 && i % 5 == 0) ? null : Math.fround(Math.sin(i + k))),
  plain: Array.from({ length: 72 }, (_, k) => Math.fround(i * 100 + k)),
}));

// Lists: nullable, empty, nested, of strings, of vectors.
T('list', 1100, [
  F('li', new A.List(IT(new A.Int32()))),
  F('ls', new A.List(IT(new A.Utf8())), false),
  F('lli', new A.List(IT(new A.List(IT(new A.Int64()))))),
  F('lf', new A.List(IT(new A.FixedSizeList(2, F('item', new A.Float32(), true))))),
  F('lb', new A.List(IT(new A.Bool()))),
], (i) => ({
  li: i % 10 == 0 ? null : (i % 7 == 0 ? [] : Array.from({ length: i % 5 }, (_, k) => (k == 2 && i % 3 == 0) ? null : i * 10 + k)),
  ls: Array.from({ length: i % 4 }, (_, k) => k == 1 && i % 2 ? null : 's' + i + '_' + k),
  lli: i % 9 == 0 ? null : Array.from({ length: i % 3 }, (_, k) => (k == 1 && i % 5 == 0) ? null :
    (k == 0 && i % 4 == 0 ? [] : Array.from({ length: (i + k) % 4 }, (_, j) => BigInt(i * 100 + j)))),
  lf: i % 8 == 0 ? null : Array.from({ length: i % 3 }, (_, k) => k == 0 && i % 5 == 0 ? null : [i, k]),
  lb: i % 6 == 0 ? null : Array.from({ length: i % 4 }, (_, k) => k == 2 ? null : (i + k) % 2 == 0),
}));

// Lists long enough to span mini-blocks (rows continued across chunks,
// chunks that are all continuation).
T('biglist', 40, [
  F('big', new A.List(IT(new A.Int32()))),
  F('strs', new A.List(IT(new A.Utf8()))),
], (i) => ({
  big: i % 7 == 3 ? null : Array.from({ length: i % 5 == 1 ? 2500 + i : i }, (_, k) => (k % 97 == 5 ? null : k * 3 + i)),
  strs: i % 6 == 2 ? [] : Array.from({ length: i % 4 == 0 ? 900 : i % 3 }, (_, k) => 'w' + (k % 13) + '-' + i),
}));

// Large values inside lists: full-zip pages with repetition.
T('fzlist', 60, [
  F('lv', new A.List(IT(new A.FixedSizeList(70, F('item', new A.Float32(), true))))),
  F('lstr', new A.List(IT(new A.Utf8()))),
], (i) => ({
  lv: i % 9 == 0 ? null : Array.from({ length: i % 3 }, (_, k) => k == 1 && i % 4 == 0 ? null : Array.from({ length: 70 }, (_, j) => Math.fround(i + j / 8))),
  lstr: i % 5 == 0 ? null : Array.from({ length: i % 4 }, (_, k) => k == 2 ? null : ('long text ' + i + ' ' + k + ' ').repeat(30)),
}));

// Structs: nullable, nested, lists of structs holding lists.
T('struct', 1100, [
  F('st', new A.Struct([F('a', new A.Int32()), F('b', new A.Utf8())])),
  F('sn', new A.Struct([F('x', new A.Float64(), false), F('inner', new A.Struct([F('y', new A.Int16()), F('z', new A.Bool())]))]), false),
  F('ls', new A.List(IT(new A.Struct([F('k', new A.Utf8()), F('v', new A.List(IT(new A.Int32())))])))),
  F('after', new A.Int32()),
], (i) => ({
  st: i % 6 == 0 ? null : { a: i % 4 == 0 ? null : i, b: i % 5 == 0 ? null : 'b' + i },
  sn: { x: i * 0.25, inner: i % 7 == 0 ? null : { y: i % 3 == 0 ? null : i, z: i % 2 == 0 } },
  ls: i % 9 == 0 ? null : Array.from({ length: i % 3 }, (_, k) => (k == 1 && i % 4 == 0) ? null : { k: 'k' + k, v: i % 5 == 0 ? null : [i, k] }),
  after: i,
}));

// Deeper nesting: struct of list of struct of list and vectors.
T('deep', 300, [
  F('d', new A.Struct([
    F('l', new A.List(IT(new A.Struct([F('n', new A.List(IT(new A.Int8()))), F('v', new A.FixedSizeList(2, F('item', new A.Float32(), true)))])))),
    F('t', new A.Utf8()),
  ])),
  F('lll', new A.List(IT(new A.List(IT(new A.List(IT(new A.Int16()))))))),
], (i) => ({
  d: i % 11 == 0 ? null : {
    l: i % 7 == 0 ? null : Array.from({ length: i % 3 }, (_, k) => (k == 1 && i % 2 == 0) ? null :
      { n: i % 5 == 0 ? null : Array.from({ length: (i + k) % 3 }, (_, j) => j == 1 && i % 3 == 0 ? null : (i + j) % 100), v: k == 0 && i % 4 == 0 ? null : [i, -k] }),
    t: i % 3 == 0 ? null : 't' + i,
  },
  lll: i % 10 == 0 ? null : Array.from({ length: i % 3 }, (_, a) => a == 1 && i % 4 == 0 ? null :
    Array.from({ length: (i + a) % 3 }, (_, b) => b == 0 && i % 5 == 0 ? null : Array.from({ length: (i + b) % 3 }, (_, c) => c == 2 ? null : i + c))),
}));

// Maps (file version 2.2 only).
T('map', 800, [
  F('m', new A.Map_(F('entries', new A.Struct([F('key', new A.Utf8(), false), F('value', new A.Int32(), true)]), false))),
], (i) => ({ m: i % 10 == 0 ? null : new Map(Array.from({ length: i % 4 }, (_, k) => ['k' + k, k == 2 ? null : i * k])) }),
{ minVersion: '2.2' });

// Dictionary-typed columns decode to their values.
T('dictype', 1000, [
  F('dt', new A.Dictionary(new A.Utf8(), new A.Int32())),
  F('di', new A.Dictionary(new A.Int64(), new A.Int8())),
], (i) => ({ dt: i % 9 == 0 ? null : ['alpha', 'beta', 'gamma'][i % 3], di: BigInt([10, 20, 30, 40][i % 4]) }));

// All-null pages: plain, strings, lists of nulls and empties, null structs.
T('allnull', 1000, [F('a', new A.Int32()), F('s', new A.Utf8()), F('l', new A.List(IT(new A.Int32()))),
  F('st', new A.Struct([F('a', new A.Int32())]))],
(i) => ({ a: null, s: null, l: i % 2 ? null : [], st: i % 3 ? null : { a: null } }));

// The null type: an all-null page without buffers.
T('nulltype', 100, [F('z', new A.Null()), F('i', new A.Int32())], (i) => ({ z: null, i: i % 3 ? i : null }));

// Constant pages (2.2): fixed-width inline, strings in a value buffer.
T('const', 3000, [F('c', new A.Int32(), false), F('cs', new A.Utf8()), F('cf', new A.Float64()),
  F('cn', new A.Int64())],
(i) => ({ c: 7, cs: 'same', cf: 1.5, cn: i % 3 == 0 ? null : 42n }));

// Run-length encoding, including nullable values.
T('rle', 5000, [F('r', new A.Int32(), false, { 'lance-encoding:rle-threshold': '0.9' }), F('r64', new A.Int64(), true)],
  (i) => ({ r: Math.floor(i / 100), r64: i % 1000 == 0 ? null : BigInt(Math.floor(i / 37)) }));

// General compression (zstd, lz4), byte-stream split, forced full-zip.
T('comp', 1500, [
  F('zi', new A.Int64(), true, { 'lance-encoding:compression': 'zstd' }),
  F('zs', new A.Utf8(), true, { 'lance-encoding:compression': 'zstd' }),
  F('lf', new A.Float64(), true, { 'lance-encoding:compression': 'lz4' }),
  F('bss', new A.Float32(), true, { 'lance-encoding:compression': 'zstd', 'lance-encoding:bss': 'on' }),
  F('fz', new A.Binary(), true, { 'lance-encoding:structural-encoding': 'fullzip' }),
  F('fzi', new A.Int32(), true, { 'lance-encoding:structural-encoding': 'fullzip' }),
], (i) => ({
  zi: i % 17 == 0 ? null : BigInt(i * i), zs: 'zstd string ' + (i % 100), lf: i % 11 == 0 ? null : i * 0.125,
  bss: Math.fround(Math.cos(i) * 100), fz: i % 5 == 0 ? null : Uint8Array.from({ length: i % 50 }, (_, k) => k),
  fzi: i % 3 == 0 ? null : i,
}));

// Long strings and binary: full-zip with FSST and with 64-bit lengths, and
// per-value zstd for values over 32 KiB.
T('bigstr', 40, [F('s', new A.Utf8()), F('b', new A.LargeBinary(), false), F('huge', new A.Binary())],
  (i) => ({
    s: i % 7 == 0 ? null : ('long' + i).repeat(60), b: Uint8Array.from({ length: 300 + i }, (_, k) => (k * i) & 255),
    huge: i % 3 == 0 ? null : (i == 1 ? Uint8Array.from({ length: 40000 }, (_, k) => (k % 251) ^ i) : Uint8Array.from({ length: 260 }, (_, k) => k & 255)),
  }));

// Packed structs: fixed-width (2.1 and 2.2) and with variable-width fields (2.2).
T('packed', 1000, [F('p', new A.Struct([F('a', new A.Int32(), false), F('b', new A.Float64(), false)]), false, { 'lance-encoding:packed': 'true' })],
  (i) => ({ p: { a: i, b: i / 2 } }));
T('vpacked', 1000, [F('q', new A.Struct([F('a', new A.Int32(), false), F('s', new A.Utf8(), false)]), false, { 'lance-encoding:packed': 'true' })],
  (i) => ({ q: { a: -i, s: 'q' + i } }), { minVersion: '2.2' });

// Legacy blobs (2.1): the bytes live outside the page.
T('blob', 30, [F('blob', new A.LargeBinary(), true, { 'lance-encoding:blob': 'true' })],
  (i) => ({ blob: i % 4 == 0 ? null : (i % 5 == 1 ? new Uint8Array(0) : Uint8Array.from({ length: 200 + i * 10 }, (_, k) => (k + i) & 255)) }),
  { maxVersion: '2.1', fromInput: ['blob'] });

// Several pages per column: written in many record batches.
T('pages', 150000, [F('s', new A.Utf8()), F('n', new A.Int32())],
  (i) => ({ s: i % 20011 == 7 ? null : 'a fairly long repeated string, page test #' + Math.floor(i / 40000), n: i % 1000 == 0 ? null : Math.floor(i / 700) % 5 }),
  { batches: 25 });

// Arrow data for a column of values.  Fixed-size lists are built by hand:
// apache-arrow 18's builder drops the child slots of trailing null rows.
function column(values, type) {
  if (type.typeId != A.Type.FixedSizeList) return A.vectorFromArray(values, type).data[0];
  const n = type.listSize, flat = [];
  const bitmap = new Uint8Array(((values.length + 63) >> 6) << 3);
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) { nulls++; for (let k = 0; k < n; k++) flat.push(null); }
    else { bitmap[i >> 3] |= 1 << (i & 7); for (const x of v) flat.push(x); }
  });
  const child = column(flat, type.children[0].type);
  return A.makeData({ type, length: values.length, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, child });
}

// ---------------------------------------------------------------- rendering
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
function byteWidth(t) {
  switch (t.typeId) {
    case A.Type.Int: case A.Type.Time: return t.bitWidth / 8;
    case A.Type.Float: return [2, 4, 8][t.precision];
    case A.Type.Date: return t.unit == A.DateUnit.DAY ? 4 : 8;
    case A.Type.Timestamp: case A.Type.Duration: return 8;
    case A.Type.Decimal: return t.bitWidth / 8;
    case A.Type.FixedSizeBinary: return t.byteWidth;
  }
  return 0;
}
function render(data, i) {
  if (data.type.typeId == A.Type.Null || !data.getValid(i)) return 'N';
  const t = data.type;
  switch (t.typeId) {
    case A.Type.Bool: { const idx = data.offset + i; return (data.values[idx >> 3] >> (idx & 7)) & 1 ? '1' : '0'; }
    case A.Type.Utf8: case A.Type.Binary: case A.Type.LargeUtf8: case A.Type.LargeBinary: {
      const a = Number(data.valueOffsets[i]), b = Number(data.valueOffsets[i + 1]);
      return 'x' + hex(data.values.subarray(a, b));
    }
    case A.Type.List: case A.Type.Map: {
      const a = Number(data.valueOffsets[i]), b = Number(data.valueOffsets[i + 1]);
      const r = []; for (let k = a; k < b; k++) r.push(render(data.children[0], k));
      return '[' + r.join(',') + ']';
    }
    case A.Type.FixedSizeList: {
      const n = t.listSize, r = [];
      for (let k = 0; k < n; k++) r.push(render(data.children[0], (data.offset + i) * n + k));
      return '[' + r.join(',') + ']';
    }
    case A.Type.Struct: return '{' + data.children.map((c) => render(c, data.offset + i)).join(',') + '}';
    case A.Type.Dictionary: return render(data.dictionary.data[0], Number(data.values[i]));
    default: {
      const w = byteWidth(t); if (!w) throw new Error('no width for ' + t);
      const v = data.values; return hex(new Uint8Array(v.buffer, v.byteOffset + i * w, w));
    }
  }
}
// A value as written (for fromInput columns: binary only).
function renderInput(v) { return v === null ? 'N' : 'x' + hex(v); }

function keepNewest(dir) {
  // Leave only the newest manifest and the data files.
  for (const sub of fs.readdirSync(dir)) if (!['_versions', 'data'].includes(sub)) fs.rmSync(path.join(dir, sub), { recursive: true });
  const vs = fs.readdirSync(path.join(dir, '_versions')).filter((f) => f.endsWith('.manifest')).sort();
  // new-style names are inverted: the newest sorts first
  for (const v of vs.slice(1)) fs.rmSync(path.join(dir, '_versions', v));
}

for (const tb of tables) {
  if (only && tb.name != only) continue;
  for (const ver of ['2.1', '2.2']) {
    if (tb.opts.minVersion && ver < tb.opts.minVersion) continue;
    if (tb.opts.maxVersion && ver > tb.opts.maxVersion) continue;
    const name = tb.name + '_' + ver.replace('.', '');
    const tmp = fs.mkdtempSync(path.join(out, '.tmp-'));
    const db = await lancedb.connect(tmp);
    const schema = new A.Schema(tb.fields);
    const rows = []; for (let i = 0; i < tb.rows; i++) rows.push(tb.gen(i));
    const nb = tb.opts.batches || 1, per = Math.ceil(tb.rows / nb);
    const batches = [];
    for (let b = 0; b < nb; b++) {
      const part = rows.slice(b * per, (b + 1) * per);
      const kids = tb.fields.map((f) => column(part.map((r) => r[f.name]), f.type));
      batches.push(new A.RecordBatch(schema, A.makeData({ type: new A.Struct(tb.fields), length: part.length, nullCount: 0, children: kids })));
    }
    const t = await db.createTable(name, new A.Table(schema, batches),
      { mode: 'overwrite', storageOptions: { new_table_data_storage_version: ver } });
    const tbl = await t.query().toArrow();
    const lines = [`table ${name}`, `rows ${tbl.numRows}`];
    for (const f of tb.fields) {
      const col = tbl.getChild(f.name);
      lines.push(`col ${f.name} ${col.type}`);
      const vals = [];
      if ((tb.opts.fromInput || []).includes(f.name)) for (const r of rows) vals.push(renderInput(r[f.name]));
      else for (const d of col.data) for (let i = 0; i < d.length; i++) vals.push(render(d, i));
      for (let r = 0; r < vals.length;) {
        let e = r + 1;
        while (e < vals.length && vals[e] === vals[r]) e++;
        lines.push(e - r > 1 ? `${r}*${e - r} ${vals[r]}` : `${r} ${vals[r]}`);
        r = e;
      }
    }
    const txt = lines.join('\n') + '\n';
    const dst = path.join(out, name);
    fs.rmSync(dst, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, name + '.lance'), dst);
    fs.rmSync(tmp, { recursive: true });
    keepNewest(dst);
    fs.writeFileSync(path.join(out, name + '.expected.zst'), execFileSync('zstd', ['-19', '-q', '-c'], { input: txt }));
    console.log('wrote', name, tbl.numRows, 'rows');
  }
}

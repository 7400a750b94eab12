// Reads one column of a table with LanceDB the way an application would:
// tbl.query().select([COLUMN]).toArrow(), and times it.
//
//   node lancedb_read.mjs URI TABLE COLUMN [options]
//     --reps N           warm reads after the first (default 3)
//     --drop-caches      after opening the table and before the first read, drop the
//                        kernel page cache (sync; echo 3 > /proc/sys/vm/drop_caches; needs
//                        root), so the first read is cold
//     --sha256           also print the SHA-256 of the column's values as raw
//                        little-endian bytes (fixed-size lists of numbers, or numbers)
//     --storage K=V      a storage option for lancedb.connect (repeatable), e.g. for S3
//     --counter URL      a bench/s3count.mjs proxy: report the requests and bytes that
//                        went through it during the open and during each read
//     --cpu-of PID,...   also report the CPU seconds these processes (e.g. the S3 server)
//                        used during each read
//
// Prints one JSON object: open_s (connect + openTable), first_s (the first read),
// warm_s (each later read, in this same process), first_cpu_s and warm_cpu_s (CPU
// seconds of this process, all threads, for the same reads), rows, bytes (of the values
// read), max_rss_kb (peak resident memory of this process), sha256 when asked, and with
// --counter: open_io, first_io, warm_io ({requests, bytes} each); with --cpu-of:
// first_other_cpu_s, warm_other_cpu_s.
// Timings cover only the calls named; node's start-up and module loading are left out.
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { lancedb, lancedbVersion } from './lancedb.mjs';

const args = process.argv.slice(2);
const positional = [];
const opts = { reps: 3, drop: false, sha: false, storage: {}, counter: null, cpuOf: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--reps') opts.reps = Number(args[++i]);
  else if (a === '--drop-caches') opts.drop = true;
  else if (a === '--sha256') opts.sha = true;
  else if (a === '--counter') opts.counter = args[++i];
  else if (a === '--cpu-of') opts.cpuOf = args[++i].split(',').filter(Boolean);
  else if (a === '--storage') {
    const kv = args[++i];
    const eq = kv.indexOf('=');
    opts.storage[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else positional.push(a);
}
if (positional.length !== 3 || !(opts.reps >= 0)) {
  console.error('usage: node lancedb_read.mjs URI TABLE COLUMN [--reps N] [--drop-caches] [--sha256] [--storage K=V]...');
  process.exit(2);
}
const [uri, tableName, column] = positional;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
// CPU seconds of the --cpu-of processes (utime + stime from /proc/PID/stat, in clock ticks
// of 1/100 s, the value on Linux).
const otherCpu = () => opts.cpuOf.reduce((sum, pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return sum + (Number(f[11]) + Number(f[12])) / 100;
}, 0);

// The bytes of the values of every chunk of a number or fixed-size-list-of-number column,
// in row order, honouring slice offsets.
function* valueBytes(vector) {
  for (const data of vector.data) {
    if (data.nullCount) throw new Error(`${column}: nulls are not supported by --sha256`);
    if (data.children.length === 1) {
      const child = data.children[0];
      const per = data.type.listSize;
      const start = child.offset + data.offset * per;
      const vals = child.values.subarray(start, start + data.length * per);
      yield new Uint8Array(vals.buffer, vals.byteOffset, vals.byteLength);
    } else {
      const vals = data.values.subarray(data.offset, data.offset + data.length);
      yield new Uint8Array(vals.buffer, vals.byteOffset, vals.byteLength);
    }
  }
}

function columnBytes(table) {
  let n = 0;
  for (const b of valueBytes(table.getChild(column))) n += b.byteLength;
  return n;
}

// The proxy's counters, to subtract: {requests, bytes}; null without --counter.
async function io() {
  if (!opts.counter) return null;
  const r = await fetch(`${opts.counter}/__counts`);
  const c = await r.json();
  return { requests: c.requests, bytes: c.bytes };
}
const ioSince = (before, after) =>
  before && { requests: after.requests - before.requests, bytes: after.bytes - before.bytes };

let io0 = await io();
let t = now();
const db = await lancedb.connect(uri, Object.keys(opts.storage).length ? { storageOptions: opts.storage } : {});
const tbl = await db.openTable(tableName);
const openS = now() - t;
const openIo = ioSince(io0, await io());

if (opts.drop) execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { shell: '/bin/sh' });

const read = () => tbl.query().select([column]).toArrow();
io0 = await io();
let o = otherCpu();
let c = cpu();
t = now();
let result = await read();
const firstS = now() - t;
const firstCpuS = cpu() - c;
const firstOtherCpuS = otherCpu() - o;
const firstIo = ioSince(io0, await io());
const rows = result.numRows;
const bytes = columnBytes(result);
let sha256 = null;
if (opts.sha) {
  const h = crypto.createHash('sha256');
  for (const b of valueBytes(result.getChild(column))) h.update(b);
  sha256 = h.digest('hex');
}
result = null;

const warmS = [], warmCpuS = [], warmIo = [], warmOtherCpuS = [];
for (let i = 0; i < opts.reps; i++) {
  io0 = await io();
  o = otherCpu();
  c = cpu();
  t = now();
  result = await read();
  warmS.push(now() - t);
  warmCpuS.push(cpu() - c);
  warmOtherCpuS.push(otherCpu() - o);
  warmIo.push(ioSince(io0, await io()));
  if (result.numRows !== rows) throw new Error(`read ${i + 2} gave ${result.numRows} rows, the first ${rows}`);
  result = null;
}

const out = {
  lancedb: lancedbVersion,
  open_s: openS, first_s: firstS, warm_s: warmS, first_cpu_s: firstCpuS, warm_cpu_s: warmCpuS,
  rows, bytes,
  max_rss_kb: process.resourceUsage().maxRSS,
};
if (sha256) out.sha256 = sha256;
if (opts.cpuOf.length) Object.assign(out, { first_other_cpu_s: firstOtherCpuS, warm_other_cpu_s: warmOtherCpuS });
if (opts.counter) Object.assign(out, { open_io: openIo, first_io: firstIo, warm_io: warmIo });
console.log(JSON.stringify(out));

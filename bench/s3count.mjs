// A counting HTTP proxy for the S3 benchmark: it forwards every request unchanged (Host
// header included, so SigV4 signatures still match) to an S3-compatible server on loopback
// and counts what passes: requests by method, and the bytes of the answers' bodies.
//
//   node s3count.mjs --upstream http://127.0.0.1:PORT --port-file FILE [--timeout-s S] [--log FILE]
//
// --log FILE: one line per request when its answer ends: start and end (ms since the proxy
// started), requests in flight at its start, method, status, body bytes, Range, path.
//
// GET /__counts on the proxy itself answers the counters so far as JSON
// {"requests": N, "bytes": B, "by_method": {"GET": N, ...}, "ranged": N}; it is not forwarded
// and not counted. Clients read the counters before and after what they measure.
// Listens on 127.0.0.1 only; exits by itself after --timeout-s seconds (default 1800).
import fs from 'node:fs';
import http from 'node:http';

function opt(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const upstream = new URL(opt('upstream', 'http://invalid'));
if (upstream.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname)) {
  console.error('s3count: --upstream must be http://127.0.0.1:PORT (loopback only)');
  process.exit(2);
}
const portFile = opt('port-file', '');
const timeoutS = Number(opt('timeout-s', 1800));
const log = opt('log', '') ? fs.createWriteStream(opt('log', '')) : null;
const t0 = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
let inflight = 0;

const counts = { requests: 0, bytes: 0, ranged: 0, by_method: {} };
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const server = http.createServer((req, res) => {
  if (req.url === '/__counts') {
    const body = JSON.stringify(counts);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  counts.requests++;
  counts.by_method[req.method] = (counts.by_method[req.method] || 0) + 1;
  if (req.headers.range) counts.ranged++;
  const start = ms(), atStart = inflight++;
  let got = 0;
  const up = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.on('data', (chunk) => { counts.bytes += chunk.length; got += chunk.length; });
      answer.on('end', () => {
        log?.write(`${start.toFixed(1)} ${ms().toFixed(1)} ${atStart} ${req.method} ${answer.statusCode} ${got} ` +
          `${req.headers.range || '-'} ${req.url}\n`);
      });
      answer.pipe(res);
    },
  );
  res.on('close', () => { inflight--; });
  up.on('error', () => res.socket?.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 30000;

const stop = () => process.exit(0);
setTimeout(stop, timeoutS * 1000).unref();
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (portFile) {
    fs.writeFileSync(portFile + '.tmp', String(port));
    fs.renameSync(portFile + '.tmp', portFile);
  }
});

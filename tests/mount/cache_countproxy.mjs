// A counting HTTP proxy for lancefs's block-cache tests: it forwards every
// request unchanged (Host header included, so SigV4 signatures still match) to
// an S3-compatible server on loopback and appends one JSON line per request to
// a log file:
//   {"n": 1, "method": "GET", "path": "/bucket/key", "query": "list-type=2&...",
//    "range": "bytes=0-1048575", "status": 206, "bytes": 1048576}
// ("bytes" = bytes of the answer's body).  Plain node:http, no dependencies.
//
//   node cache_countproxy.mjs --upstream http://127.0.0.1:PORT --log FILE --port-file FILE
//
// The answer is buffered and its log line written (synchronously) before the
// answer is sent, so once a client has its bytes the log already counts them:
// a test may read the log right after its reader returns.  The proxy exits by
// itself after --timeout-s seconds (default 900), should a test die without
// its trap.
import fs from 'node:fs';
import http from 'node:http';

function opt(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const upstream = new URL(opt('upstream', ''));
if (upstream.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(upstream.hostname)) {
  console.error('cache_countproxy: --upstream must be http://127.0.0.1:PORT (loopback only)');
  process.exit(2);
}
const logFile = opt('log', '');
const portFile = opt('port-file', '');
const timeoutS = Number(opt('timeout-s', 900));
if (!logFile) {
  console.error('cache_countproxy: --log FILE is required');
  process.exit(2);
}
fs.writeFileSync(logFile, '');
let n = 0;

const server = http.createServer((req, res) => {
  const id = ++n;
  const q = req.url.indexOf('?');
  const entry = {
    n: id,
    method: req.method,
    path: decodeURIComponent(q >= 0 ? req.url.slice(0, q) : req.url),
    query: q >= 0 ? req.url.slice(q + 1) : '',
    range: req.headers.range || '',
  };
  const up = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (ures) => {
      const chunks = [];
      ures.on('data', (c) => chunks.push(c));
      ures.on('end', () => {
        const body = Buffer.concat(chunks);
        entry.status = ures.statusCode;
        entry.bytes = body.length;
        fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
        const headers = { ...ures.headers };
        delete headers['transfer-encoding'];
        if (req.method !== 'HEAD') headers['content-length'] = String(body.length);
        res.writeHead(ures.statusCode, headers);
        res.end(body);
      });
      ures.on('error', () => res.socket?.destroy());
    },
  );
  up.setTimeout(60000, () => up.destroy(new Error('upstream timeout')));
  up.on('error', (e) => {
    entry.status = 0;
    entry.bytes = 0;
    entry.error = String(e.message);
    fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
    res.socket?.destroy();
  });
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

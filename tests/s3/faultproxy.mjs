// A fault-injecting HTTP proxy for lancefs's S3 tests.  Plain node:http, no
// dependencies.  It listens on 127.0.0.1, forwards every request unchanged
// (Host header included, so signatures still match) to an upstream on
// loopback, and spoils some of the answers on a schedule.
//
//   node faultproxy.mjs --upstream http://127.0.0.1:PORT [options]
//
// Options (each also as an environment variable FAULT_<NAME>, e.g. FAULT_MODES):
//   --modes LIST       comma-separated faults to inject (default: all but delay, stall):
//       drop           close the connection without an answer
//       reset          reset the connection (TCP RST) without an answer
//       500 502 504    that status with an S3 error body (InternalError, ...)
//       503            503 SlowDown, as S3 says when throttling
//       429            429 SlowDown
//       truncate       the real answer's headers (Content-Length included), half
//                      the body, then close: a short body on a dead connection
//       lie            the real answer, but Content-Length and body cut to half:
//                      a complete-looking HTTP answer with a short body
//       delay          wait --delay-ms before forwarding (a stalled server)
//       stall          headers and a few body bytes, then nothing for --delay-ms, then close
//   --every N          spoil every Nth request (cycling through the modes)
//   --rate R --seed S  spoil each request with probability R (0..1), seeded PRNG
//   --skip N           let the first N requests through untouched
//   --max-faults N     after N spoiled requests, let everything through
//   --off-file FILE    once FILE exists, let everything through (a test creates
//                      it to end the faulty phase at a point of its choosing)
//   --delay-ms MS      for delay and stall (default 3000)
//   --port-file FILE   write the listening port here
//   --timeout-s S      exit by itself after S seconds (default 900)
// Every injected fault is logged on stderr as "fault N MODE METHOD PATH".
// Only loopback upstreams are accepted.
import fs from 'node:fs';
import http from 'node:http';

function opt(name, def) {
  const i = process.argv.indexOf('--' + name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const env = process.env['FAULT_' + name.toUpperCase().replace(/-/g, '_')];
  return env !== undefined && env !== '' ? env : def;
}

const ALL = ['drop', 'reset', '500', '502', '503', '504', '429', 'truncate', 'lie', 'delay', 'stall'];
const upstream = new URL(opt('upstream', ''));
if (upstream.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname)) {
  console.error('faultproxy: --upstream must be http://127.0.0.1:PORT (loopback only)');
  process.exit(2);
}
const modes = opt('modes', ALL.filter((m) => m !== 'delay' && m !== 'stall').join(','))
  .split(',')
  .filter(Boolean);
for (const m of modes) {
  if (!ALL.includes(m)) {
    console.error(`faultproxy: unknown mode ${m} (known: ${ALL.join(' ')})`);
    process.exit(2);
  }
}
const every = Number(opt('every', 0));
const rate = Number(opt('rate', 0));
let seed = Number(opt('seed', 1)) >>> 0 || 1;
const skip = Number(opt('skip', 0));
const maxFaults = Number(opt('max-faults', Infinity));
const delayMs = Number(opt('delay-ms', 3000));
const timeoutS = Number(opt('timeout-s', 900));
const portFile = opt('port-file', '');
const offFile = opt('off-file', '');

// mulberry32: a small seeded generator, so a run can be repeated
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let requests = 0;
let faults = 0;
const counts = {};

function pickFault() {
  requests++;
  if (requests <= skip || faults >= maxFaults || modes.length === 0) return null;
  if (offFile && fs.existsSync(offFile)) return null;
  if (every > 0) {
    if (requests % every !== 0) return null;
    return modes[faults % modes.length];
  }
  if (rate > 0 && random() < rate) return modes[Math.floor(random() * modes.length)];
  return null;
}

const errorCodes = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  502: ['BadGateway', 'Bad gateway (injected by faultproxy).'],
  503: ['SlowDown', 'Please reduce your request rate.'],
  504: ['GatewayTimeout', 'Gateway timeout (injected by faultproxy).'],
  429: ['SlowDown', 'Please reduce your request rate.'],
};

function forward(req, onResponse, onError) {
  const up = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    onResponse,
  );
  up.setTimeout(60000, () => up.destroy(new Error('upstream timeout')));
  up.on('error', onError);
  req.pipe(up);
  return up;
}

// the real answer with its body cut to half; how depends on the mode
function spoilBody(req, res, mode) {
  forward(
    req,
    (up) => {
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        const half = body.subarray(0, Math.floor(body.length / 2));
        const headers = { ...up.headers };
        if (mode === 'lie') {
          headers['content-length'] = String(half.length);
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode, headers);
          res.end(half);
        } else if (mode === 'truncate') {
          headers['content-length'] = String(body.length);
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode, headers);
          res.write(half, () => res.socket?.destroy());
        } else {
          // stall: a few bytes, then silence, then close
          headers['content-length'] = String(body.length);
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode, headers);
          res.write(body.subarray(0, Math.min(16, body.length)));
          setTimeout(() => res.socket?.destroy(), delayMs);
        }
      });
    },
    () => res.socket?.destroy(),
  );
}

function pass(req, res) {
  forward(
    req,
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    },
    () => res.socket?.destroy(),
  );
}

const server = http.createServer((req, res) => {
  const mode = pickFault();
  if (!mode) return pass(req, res);
  faults++;
  counts[mode] = (counts[mode] || 0) + 1;
  console.error(`fault ${faults} ${mode} ${req.method} ${req.url}`);
  const hasBody = req.method !== 'HEAD';
  switch (mode) {
    case 'drop':
      req.socket.destroy();
      break;
    case 'reset':
      if (typeof req.socket.resetAndDestroy === 'function') req.socket.resetAndDestroy();
      else req.socket.destroy();
      break;
    case 'delay':
      setTimeout(() => pass(req, res), delayMs);
      break;
    case 'truncate':
    case 'lie':
    case 'stall':
      if (hasBody) spoilBody(req, res, mode);
      else req.socket.destroy(); // a HEAD has no body to cut: drop it instead
      break;
    default: {
      const status = Number(mode);
      const [code, message] = errorCodes[status];
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
        `<Message>${message}</Message><RequestId>faultproxy-${faults}</RequestId></Error>`;
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
    }
  }
});
server.keepAliveTimeout = 30000;

const stop = () => {
  console.error(
    `faultproxy: ${requests} requests, ${faults} faults ${JSON.stringify(counts)}`,
  );
  process.exit(0);
};
setTimeout(stop, timeoutS * 1000);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (portFile) {
    fs.writeFileSync(portFile + '.tmp', String(port));
    fs.renameSync(portFile + '.tmp', portFile);
  }
  console.error(`faultproxy: 127.0.0.1:${port} -> ${upstream.host}, modes ${modes.join(',')}`);
});

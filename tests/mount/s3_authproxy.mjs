// A proxy that makes s3rver's buckets private, as an S3 bucket without a
// public policy is: s3rver checks every signature it gets but serves unsigned
// requests too.  Requests with SigV4 (an Authorization header or an
// X-Amz-Signature query parameter) are forwarded unchanged (the server still
// checks them); unsigned ones get S3's answer for a private bucket:
//   403 AccessDenied "Access Denied"
//
//   node s3_authproxy.mjs --upstream http://127.0.0.1:PORT --port-file FILE [--timeout-s S]
import fs from 'node:fs';
import http from 'node:http';

function opt(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const upstream = new URL(opt('upstream', ''));
if (upstream.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(upstream.hostname)) {
  console.error('s3_authproxy: --upstream must be http://127.0.0.1:PORT (loopback only)');
  process.exit(2);
}
const portFile = opt('port-file', '');
const timeoutS = Number(opt('timeout-s', 900));
let denied = 0;

const server = http.createServer((req, res) => {
  const signed = req.headers.authorization || /[?&]X-Amz-Signature=/i.test(req.url);
  if (!signed) {
    denied++;
    console.error(`denied ${req.method} ${req.url}`);
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
      `<Message>Access Denied</Message><RequestId>authproxy-${denied}</RequestId></Error>`;
    req.resume();
    res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(req.method === 'HEAD' ? undefined : xml);
    return;
  }
  const up = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (ures) => {
      res.writeHead(ures.statusCode, ures.headers);
      ures.pipe(res);
    },
  );
  up.on('error', () => res.socket?.destroy());
  req.pipe(up);
});

const stop = () => process.exit(0);
setTimeout(stop, timeoutS * 1000).unref();
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);
server.listen(0, '127.0.0.1', () => {
  if (portFile) {
    fs.writeFileSync(portFile + '.tmp', String(server.address().port));
    fs.renameSync(portFile + '.tmp', portFile);
  }
});

// Uploads a directory to an S3-compatible server with signed PUTs, using
// plain node:http and its own small SigV4 signer (no AWS SDK).  Also sends
// one deliberately mis-signed request to check that the server refuses it.
//
//   node upload.mjs put ENDPOINT BUCKET PREFIX DIR   (creates the bucket if needed)
//   node upload.mjs badsig ENDPOINT BUCKET KEY       (exit 0 iff refused with SignatureDoesNotMatch)
//
// Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; region AWS_REGION or us-east-1.
// Only http:// endpoints on loopback are accepted: this is a test tool.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [cmd, endpoint, bucket, arg1, arg2] = process.argv.slice(2);
const accessKey = process.env.AWS_ACCESS_KEY_ID;
const secretKey = process.env.AWS_SECRET_ACCESS_KEY;
const region = process.env.AWS_REGION || 'us-east-1';
const url = new URL(endpoint || 'http://invalid');
if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  console.error('upload.mjs: the endpoint must be http://127.0.0.1:PORT');
  process.exit(2);
}
if (!accessKey || !secretKey) {
  console.error('upload.mjs: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
  process.exit(2);
}

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
// RFC 3986: encodeURIComponent leaves !'()* alone, SigV4 does not
const enc = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const encPath = (s) => s.split('/').map(enc).join('/');

function sign(method, pathname, query, headers, payloadHash, now, secret = secretKey) {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const day = amzDate.slice(0, 8);
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join('&');
  const canonical = [
    method,
    pathname,
    canonicalQuery,
    names.map((n) => `${n}:${lower[n]}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac('AWS4' + secret, day);
  key = hmac(key, region);
  key = hmac(key, 's3');
  key = hmac(key, 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return canonicalQuery;
}

function request(method, pathname, body = Buffer.alloc(0), { secret, query = {} } = {}) {
  const headers = { host: url.host, 'content-length': String(body.length) };
  const qs = sign(method, pathname, query, headers, sha256(body), new Date(), secret);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: pathname + (qs ? '?' + qs : ''), headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function* walk(dir, rel = '') {
  for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) yield* walk(dir, r);
    else if (ent.isFile()) yield r;
  }
}

async function put(prefix, dir) {
  const b = await request('PUT', `/${enc(bucket)}`);
  if (b.status !== 200 && !/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(b.body)) {
    throw new Error(`create bucket ${bucket}: HTTP ${b.status} ${b.body}`);
  }
  let n = 0;
  const files = [...walk(dir)];
  // a few uploads at a time
  const queue = files.slice();
  async function worker() {
    for (let rel; (rel = queue.shift()) !== undefined; ) {
      const key = prefix ? `${prefix.replace(/\/+$/, '')}/${rel}` : rel;
      const body = fs.readFileSync(path.join(dir, rel));
      const r = await request('PUT', `/${enc(bucket)}/${encPath(key)}`, body);
      if (r.status !== 200) throw new Error(`PUT ${key}: HTTP ${r.status} ${r.body}`);
      n++;
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  console.log(`upload.mjs: ${n} objects to s3://${bucket}/${prefix}`);
}

async function badsig(key) {
  const good = await request('GET', `/${enc(bucket)}/${encPath(key)}`);
  if (good.status !== 200) {
    console.error(`upload.mjs: a correctly signed GET failed: HTTP ${good.status} ${good.body}`);
    process.exit(1);
  }
  const bad = await request('GET', `/${enc(bucket)}/${encPath(key)}`, Buffer.alloc(0), {
    secret: secretKey + 'x',
  });
  if (bad.status === 403 && /SignatureDoesNotMatch/.test(bad.body)) {
    console.log('upload.mjs: the server refuses a wrong signature (403 SignatureDoesNotMatch)');
    process.exit(0);
  }
  console.error(`upload.mjs: a wrong signature was not refused: HTTP ${bad.status} ${bad.body}`);
  process.exit(1);
}

try {
  if (cmd === 'put' && arg2) await put(arg1, arg2);
  else if (cmd === 'badsig' && arg1) await badsig(arg1);
  else {
    console.error('usage: upload.mjs put ENDPOINT BUCKET PREFIX DIR | badsig ENDPOINT BUCKET KEY');
    process.exit(2);
  }
} catch (e) {
  console.error(`upload.mjs: ${e.message}`);
  process.exit(1);
}

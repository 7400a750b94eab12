// Runs s3rver, an S3-compatible server, on 127.0.0.1 for lancefs's tests.
//
// The package is @20minutes/s3rver (a maintained fork of s3rver): unlike
// s3rver 3.7.1, whose SigV4 check is a stub, it recomputes every SigV4
// signature and answers SignatureDoesNotMatch when it differs.  Only the key
// pair given here is accepted (s3rver's built-in S3RVER/S3RVER is revoked).
//
// Environment:
//   S3_DIR          data directory (required; created)
//   S3_ACCESS_KEY   access key id to accept (required)
//   S3_SECRET_KEY   its secret (required)
//   S3_BUCKETS      buckets to create at start, comma-separated
//   S3_PORT_FILE    the chosen port is written here once the server listens
//   S3_TIMEOUT_S    the server exits by itself after this many seconds (3600)
//   S3_SILENT       "1": no request log on stdout
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`server.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const dir = need('S3_DIR');
const accessKey = need('S3_ACCESS_KEY');
const secretKey = need('S3_SECRET_KEY');
const buckets = (process.env.S3_BUCKETS || '').split(',').filter(Boolean);
const portFile = process.env.S3_PORT_FILE;
const timeoutS = Number(process.env.S3_TIMEOUT_S || 3600);

// s3rver's own listObjects loses a common prefix whose directory holds only
// directories ("_indices/" of a Lance dataset holds only "UUID/" ones), and
// follows readdir order rather than key order.  This one lists as S3 does:
// keys in UTF-8 byte order after start-after, the keys under one delimiter
// group folded into one common prefix, max-keys counting keys.  A page ends
// right after its last key, so no prefix is reported twice.
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem');
const S3Object = require('@20minutes/s3rver/lib/models/object');
function* walkFiles(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${ent.name}`;
    if (ent.isDirectory()) yield* walkFiles(p);
    else yield p;
  }
}
FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = this.getBucketPath(bucket);
  const suffix = '._S3rver_object';
  const all = [];
  for (const p of walkFiles(bucketPath)) {
    if (!p.endsWith(suffix)) continue;
    const key = FilesystemStore.decodeKeyPath(p.slice(bucketPath.length + 1, -suffix.length));
    if (key.startsWith(prefix)) all.push(key);
  }
  const bytes = (k) => Buffer.from(k, 'utf8');
  all.sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
  const after = bytes(startAfter);
  const keys = [];
  const commonPrefixes = [];
  let isTruncated = false;
  for (const key of all) {
    if (Buffer.compare(bytes(key), after) <= 0) continue;
    const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
    const common = idx >= 0 ? key.slice(0, prefix.length + idx + delimiter.length) : null;
    if (keys.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    if (common) {
      if (commonPrefixes[commonPrefixes.length - 1] !== common) commonPrefixes.push(common);
      continue;
    }
    keys.push(key);
  }
  const objects = [];
  for (const key of keys) {
    try {
      objects.push(new S3Object(bucket, key, null, await this.getMetadata(bucket, key)));
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }
  return { objects, commonPrefixes, isTruncated };
};

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

fs.mkdirSync(dir, { recursive: true });
const server = new S3rver({
  address: '127.0.0.1',
  port: 0, // the kernel picks a free port
  directory: dir,
  silent: process.env.S3_SILENT === '1',
  // "BUCKET.s3.localhost" is a virtual-hosted request for BUCKET
  serviceEndpoint: 'localhost',
  configureBuckets: buckets.map((name) => ({ name })),
});

const stopAfter = setTimeout(() => {
  console.error(`server.mjs: exiting after ${timeoutS} s`);
  process.exit(0);
}, timeoutS * 1000);

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => {
    clearTimeout(stopAfter);
    process.exit(0);
  });
}

const { port } = await server.run();
if (portFile) {
  fs.writeFileSync(portFile + '.tmp', String(port));
  fs.renameSync(portFile + '.tmp', portFile);
}
console.log(`server.mjs: s3rver listening on 127.0.0.1:${port}`);

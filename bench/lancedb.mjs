// Loads the pinned LanceDB and Arrow for the benchmarks from tests/fixtures/gen/node_modules
// (bench/lib.sh installs them there with `npm ci` when missing), so bench/ needs no
// package.json of its own and always measures the same LanceDB version the tests use.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const genDir = path.resolve(here, '..', 'tests', 'fixtures', 'gen');
const require = createRequire(path.join(genDir, 'package.json'));

// Both through require() from the same directory, so LanceDB and this code share one
// apache-arrow instance (Arrow checks types with instanceof).
export const lancedb = require('@lancedb/lancedb');
export const arrow = require('apache-arrow');
export const lancedbVersion = JSON.parse(
  fs.readFileSync(path.join(genDir, 'node_modules', '@lancedb', 'lancedb', 'package.json'), 'utf8'),
).version;

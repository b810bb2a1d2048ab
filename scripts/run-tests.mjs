#!/usr/bin/env node
// Runs every test file under test/ through node:test with tsx, so CI reads one summary.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('test', [])
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Every test file's process gets its own documents directory (test/helpers/own-documents-dir.mjs) and a fixed
// fast-check seed (test/helpers/fast-check-seed.mjs; FC_SEED=random draws new cases).
const setup = ['--import', './test/helpers/own-documents-dir.mjs', '--import', './test/helpers/fast-check-seed.mjs'];
// TAP goes to stdout as before; a second reporter lists the failed tests, printed again after the summary.
const failuresDir = mkdtempSync(join(tmpdir(), 'switchboard-test-failures-'));
const failuresFile = join(failuresDir, 'failures.txt');
const reporters = [
  '--test-reporter=tap',
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-failures-reporter.mjs',
  `--test-reporter-destination=${failuresFile}`,
];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', ...setup, '--test', '--test-concurrency=2', ...reporters, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
);
let failures = '';
try {
  failures = readFileSync(failuresFile, 'utf8');
} catch {
  // No file: the runner stopped before any reporter ran; its own output says why.
}
rmSync(failuresDir, { recursive: true, force: true });
if (failures !== '') console.log(`\n# failed tests:\n${failures}`);
process.exit(result.status ?? 1);

// Test setup (scripts/run-tests.mjs imports it into every test file's process): points SWITCHBOARD_DOCUMENTS__DIR at
// a directory of this process, so a `serve --dev` a test spawns without test/helpers/documents-dir.ts never takes
// the lock of ./data/documents (the developer's `npm start`, or another test file running in parallel).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (process.env.SWITCHBOARD_DOCUMENTS__DIR === undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-documents-'));
  process.env.SWITCHBOARD_DOCUMENTS__DIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

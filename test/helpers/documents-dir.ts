// Test helper: a fresh documents directory for each spawned `serve`. The dev configuration (`serve --dev`,
// examples/dev.json) keeps documents in ./data/documents, which one process at a time may lock; tests running in
// parallel (and the developer's own `npm start`) must never share it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory, removed when the test process exits. */
export function freshDocumentsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-documents-'));
  made.push(dir);
  return dir;
}

/** Environment that points a spawned `serve` at a new documents directory of its own. */
export function documentsDirEnv(dir = freshDocumentsDir()): { SWITCHBOARD_DOCUMENTS__DIR: string } {
  return { SWITCHBOARD_DOCUMENTS__DIR: dir };
}

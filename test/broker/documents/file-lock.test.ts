// FileDocumentStore's directory lock: one process per directory, a clear error naming the holder, stale locks of dead
// processes taken over, and of many openers racing for one stale lock exactly one wins.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DocumentStoreLockedError, FileDocumentStore } from '../../../src/broker/index.ts';
import { LOCK_FILE } from '../../../src/broker/documents/index.ts';

function tempDir(t: Pick<TestContext, 'after'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-docs-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The pid of a process that has exited (and been reaped): nothing runs under it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function staleLock(dir: string, pid: number): void {
  const owner = { pid, host: hostname(), token: 'stale', since: '2020-01-01T00:00:00.000Z' };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(owner));
}

test('a second store on the same directory is refused while the first is open, and opens once it is closed', async (t) => {
  const dir = tempDir(t);
  const first = await FileDocumentStore.open({ dir });
  await first.append('doc:a', Uint8Array.of(1));
  await assert.rejects(FileDocumentStore.open({ dir }), (err: unknown) => {
    assert.ok(err instanceof DocumentStoreLockedError);
    assert.equal(err.code, 'BROKER_UNAVAILABLE');
    assert.equal(err.owner.pid, process.pid);
    assert.match(err.message, new RegExp(`another document store of this process \\(pid ${process.pid}\\)`));
    assert.ok(err.message.includes(join(dir, LOCK_FILE)), err.message);
    return true;
  });
  await first.close();
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'close removes the lock');
  const second = await FileDocumentStore.open({ dir });
  t.after(() => second.close());
  assert.equal((await second.load('doc:a')).updates.length, 1);
});

test('a directory locked by another live process is refused naming its pid; after kill -9 the stale lock is taken over', async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./file-lock-child.ts', import.meta.url)), dir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  t.after(() => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).once('line', () => resolve()));
  await assert.rejects(
    FileDocumentStore.open({ dir }),
    (err: unknown) =>
      err instanceof DocumentStoreLockedError &&
      err.owner.pid === child.pid &&
      err.message.includes(`process ${child.pid} on ${hostname()}`),
  );
  child.kill('SIGKILL');
  await exited;
  const store = await FileDocumentStore.open({ dir });
  t.after(() => store.close());
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number };
  assert.equal(owner.pid, process.pid, 'the lock now names this process');
});

test('of ten stores opening at once on a directory with a stale lock, exactly one gets it', async (t) => {
  const dir = tempDir(t);
  staleLock(dir, deadPid());
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => FileDocumentStore.open({ dir })));
  const opened = results.filter((r) => r.status === 'fulfilled');
  t.after(() => Promise.all(opened.map((r) => r.value.close())));
  assert.equal(opened.length, 1, 'one store holds the directory');
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof DocumentStoreLockedError, String(r.reason));
  }
});

test('a lock file left empty by a crash is taken over once old; a lock from another host is respected', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  const store = await FileDocumentStore.open({ dir });
  await store.close();
  // A lock of a live process on another host cannot be checked: it is respected.
  writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'x', since: 'then' }));
  await assert.rejects(FileDocumentStore.open({ dir }), /in use by process 1 on not-/);
});

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
import { processStartTime } from '../../../src/broker/documents/file-lock.ts';

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

test('a reused pid does not hold the lock: another boot, or another process under the same pid (a restarted container), is stale', async (t) => {
  const path = (dir: string) => join(dir, LOCK_FILE);
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const ownStart = processStartTime(process.pid);
  assert.ok(ownStart !== undefined, 'this test needs /proc');
  const lock = (dir: string, fields: Record<string, unknown>) =>
    writeFileSync(
      path(dir),
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        token: 'old',
        since: '2020-01-01T00:00:00.000Z',
        ...fields,
      }),
    );
  const opensOver = async (fields: Record<string, unknown>) => {
    const dir = tempDir(t);
    lock(dir, fields);
    const store = await FileDocumentStore.open({ dir });
    const owner = JSON.parse(readFileSync(path(dir), 'utf8')) as { token: string; boot?: string; start?: string };
    await store.close();
    assert.notEqual(owner.token, 'old', 'the stale lock was replaced');
    assert.deepEqual([owner.boot, owner.start], [boot, ownStart], 'the new lock names this boot and start time');
  };
  // This pid, written before a reboot (the server is pid 1 in its container every time, for example).
  await opensOver({ boot: 'a-boot-before', start: ownStart });
  // This pid and boot, but another process: the previous container's server, killed, had the same pid.
  await opensOver({ boot, start: String(Number(ownStart) - 1) });
  // A live process (the parent) under its pid, but not the process that took the lock.
  await opensOver({ pid: process.ppid, boot, start: '1' });
  // The same live process, still running: refused, as before.
  const dir = tempDir(t);
  lock(dir, { pid: process.ppid, boot, start: processStartTime(process.ppid) });
  await assert.rejects(FileDocumentStore.open({ dir }), DocumentStoreLockedError);
  // A lock file of an older version, without boot and start: the pid alone decides.
  lock(dir, { pid: process.ppid });
  await assert.rejects(FileDocumentStore.open({ dir }), DocumentStoreLockedError);
});

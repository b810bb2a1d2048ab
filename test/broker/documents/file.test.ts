// FileDocumentStore: the shared contract, plus what only a log file promises: torn records truncated, damage refused,
// names that never leave the directory, bounded open files, and acknowledged appends that survive kill -9.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BrokerError, FileDocumentStore } from '../../../src/broker/index.ts';
import { documentFileName, LOCK_FILE } from '../../../src/broker/documents/index.ts';
import { encodeRecord, RecordType } from '../../../src/broker/documents/file-records.ts';
import { docName, HOSTILE_NAMES, runDocumentStoreContract } from './contract.ts';

function tempDir(t: Pick<TestContext, 'after'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function store(t: TestContext, dir = tempDir(t), maxOpenFiles?: number): Promise<FileDocumentStore> {
  const s = await FileDocumentStore.open({ dir, ...(maxOpenFiles === undefined ? {} : { maxOpenFiles }) });
  t.after(() => s.close());
  return s;
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
runDocumentStoreContract('FileDocumentStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
  dirs.push(dir);
  return FileDocumentStore.open({ dir, maxOpenFiles: 4 });
});

test('file names: only [a-z0-9-], one-to-one, long names hashed under the file name limit', () => {
  assert.equal(documentFileName('doc:readme'), 'doc_3areadme.ydoc');
  assert.equal(documentFileName('doc:../../etc/passwd'), 'doc_3a_2e_2e_2f_2e_2e_2fetc_2fpasswd.ydoc');
  assert.notEqual(documentFileName('doc:Readme'), documentFileName('doc:readme'));
  assert.notEqual(documentFileName('a/b'), documentFileName('a_2fb'));
  const long = documentFileName(`doc:${'x'.repeat(10_000)}`);
  assert.ok(long.length < 255, `${long.length} characters`);
  assert.notEqual(long, documentFileName(`doc:${'x'.repeat(10_001)}`));
  for (const name of HOSTILE_NAMES) assert.match(documentFileName(name), /^[a-z0-9_~-]+\.ydoc$/);
  assert.throws(() => documentFileName(''), TypeError);
});

test('hostile names create files only inside the directory', async (t) => {
  const parent = tempDir(t);
  const dir = join(parent, 'docs');
  const s = await store(t, dir);
  for (const name of HOSTILE_NAMES) await s.append(name, Uint8Array.of(1));
  assert.deepEqual(readdirSync(parent), ['docs']);
  const files = readdirSync(dir).filter((f) => f !== LOCK_FILE);
  assert.equal(files.length, new Set(HOSTILE_NAMES).size);
  for (const f of files) assert.ok(statSync(join(dir, f)).isFile());
  await assert.rejects(s.append('', Uint8Array.of(1)), TypeError);
});

test('a torn last record (crash mid-append) is truncated on load and appends continue after it', async (t) => {
  const dir = tempDir(t);
  const name = docName('torn');
  const path = join(dir, documentFileName(name));
  {
    const s = await FileDocumentStore.open({ dir });
    await s.append(name, Uint8Array.of(1, 1));
    await s.append(name, Uint8Array.of(2, 2));
    await s.close();
  }
  const good = statSync(path).size;
  // Every way a crash can cut the next record: inside its header, inside its payload, CRC not matching, zero fill.
  const tails = [
    Buffer.from([0, 0, 0]),
    Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 2, 9, 9]),
    Buffer.from([0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 2, 3, 3]),
    Buffer.alloc(64),
  ];
  for (const tail of tails) {
    appendFileSync(path, tail);
    const s = await FileDocumentStore.open({ dir });
    const stored = await s.load(name);
    assert.deepEqual(
      stored.updates.map((u) => [...u]),
      [
        [1, 1],
        [2, 2],
      ],
      `tail ${tail.toString('hex')}`,
    );
    assert.equal(statSync(path).size, good, 'truncated back to the last whole record');
    await s.close();
  }
  // An append without a load first also finds and cuts the torn tail before writing after it.
  appendFileSync(path, tails[1]!);
  const s = await store(t, dir);
  await s.append(name, Uint8Array.of(3));
  assert.deepEqual(
    (await s.load(name)).updates.map((u) => [...u]),
    [[1, 1], [2, 2], [3]],
  );
});

test('damage before the last record is refused, not silently dropped', async (t) => {
  const dir = tempDir(t);
  const name = docName('damaged');
  const s = await store(t, dir);
  for (let i = 0; i < 3; i++) await s.append(name, Uint8Array.of(i, i, i));
  const path = join(dir, documentFileName(name));
  const bytes = readFileSync(path);
  bytes[8 + 9 + 1] = (bytes[8 + 9 + 1] ?? 0) ^ 0xff; // a payload byte of the first record
  writeFileSync(path, bytes);
  await s.close();
  const fresh = await store(t, dir);
  await assert.rejects(
    fresh.load(name),
    (err: unknown) => err instanceof BrokerError && err.code === 'BROKER_UNAVAILABLE' && /damaged/.test(err.message),
  );
  assert.equal(statSync(path).size, bytes.length, 'the damaged log was left as it was');
  writeFileSync(path, 'not a log at all');
  await assert.rejects(fresh.load(name), /bad magic/);
});

test('a compaction interrupted before its rename leaves the old log, and its temporary file is removed', async (t) => {
  const dir = tempDir(t);
  const name = docName('interrupted');
  const s = await FileDocumentStore.open({ dir });
  await s.append(name, Uint8Array.of(5));
  await s.close();
  const temp = join(dir, `${documentFileName(name)}.compacting`);
  writeFileSync(temp, 'half a compaction');
  const reopened = await store(t, dir);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.compacting')));
  assert.deepEqual(
    (await reopened.load(name)).updates.map((u) => [...u]),
    [[5]],
  );
});

test('open log files stay within maxOpenFiles across many documents', async (t) => {
  const s = await store(t, tempDir(t), 3);
  const names = Array.from({ length: 40 }, (_, i) => docName(`fd-${i}`));
  let most = 0;
  for (let round = 0; round < 3; round++) {
    await Promise.all(names.map((n) => s.append(n, Uint8Array.of(round))));
    most = Math.max(most, s.openFiles);
  }
  assert.ok(s.openFiles <= 3, `${s.openFiles} open after the appends`);
  for (const n of names) assert.equal((await s.load(n)).updates.length, 3);
  t.diagnostic(`most open files after a round of 40 concurrent appends: ${most}`);
});

test('every append acknowledged before kill -9 is on disk after it', async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./file-appender-child.ts', import.meta.url)), dir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  t.after(() => child.kill('SIGKILL'));
  const acked = new Map<string, number>();
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const [doc, n] = line.split(' ');
      acked.set(doc!, Number(n));
      if ([...acked.values()].reduce((a, b) => a + b, 0) >= 600) resolve();
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const s = await store(t, dir);
  for (const [doc, n] of acked) {
    const stored = await s.load(doc);
    assert.ok(stored.updates.length >= n, `${doc}: ${stored.updates.length} stored, ${n} acknowledged`);
    for (const [i, u] of stored.updates.entries()) assert.equal(u[0], i % 256, `${doc}: update ${i} intact`);
  }
  t.diagnostic(`acknowledged before the kill: ${JSON.stringify(Object.fromEntries(acked))}`);
});

test('a disk that refuses (directory gone) rejects with BROKER_UNAVAILABLE, and the store works again once it is back', async (t) => {
  const parent = tempDir(t);
  const dir = join(parent, 'docs');
  const s = await store(t, dir);
  const name = docName('disk');
  await s.append(name, Uint8Array.of(1));
  rmSync(dir, { recursive: true, force: true });
  const unavailable = (err: unknown): boolean => err instanceof BrokerError && err.code === 'BROKER_UNAVAILABLE';
  await assert.rejects(s.append(docName('disk-new'), Uint8Array.of(2)), unavailable);
  await assert.rejects(s.compact(name, Uint8Array.of(3), 0), unavailable);
  mkdirSync(dir);
  await s.append(name, Uint8Array.of(4));
  assert.deepEqual(
    (await s.load(name)).updates.map((u) => [...u]),
    [[4]],
  );
});

test('a format 1 log (snapshot without its seq) still loads, numbers its updates from 1, and compacts to format 2', async (t) => {
  const dir = tempDir(t);
  const name = docName('format-1');
  const path = join(dir, documentFileName(name));
  const header = Buffer.from('SBYD\x01\x00\x00\x00', 'latin1');
  writeFileSync(
    path,
    Buffer.concat([
      header,
      encodeRecord(RecordType.snapshot, Uint8Array.of(9)),
      encodeRecord(RecordType.update, Uint8Array.of(1)),
    ]),
  );
  const s = await store(t, dir);
  const stored = await s.load(name);
  assert.deepEqual(stored, { snapshot: Uint8Array.of(9), updates: [Uint8Array.of(1)], bytes: 2, seq: 1 });
  await s.append(name, Uint8Array.of(2));
  assert.equal(await s.compact(name, Uint8Array.of(8), 1), true);
  assert.equal(readFileSync(path)[4], 2, 'rewritten in format 2');
  assert.deepEqual(await s.load(name), { snapshot: Uint8Array.of(8), updates: [Uint8Array.of(2)], bytes: 2, seq: 2 });
  writeFileSync(path, Buffer.from('SBYD\x03\x00\x00\x00', 'latin1'));
  await assert.rejects(s.load(name), /Unknown document log version 3/);
});

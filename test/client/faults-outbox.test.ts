// Fault (b): a publisher offline for 5 s with 500 queued messages delivers each once after reconnecting, and a file-backed
// outbox carries them across a process restart (SIGKILL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, ClientError, FileOutboxStore, MemoryOutboxStore, type OutboxEntry } from '../../src/client/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

const QUEUED = 500;
const OFFLINE_MS = 5000;

async function subscriberOn(
  t: { after(fn: () => void): void },
  port: number,
  channel: string,
): Promise<{ client: Client; received: number[] }> {
  const client = new Client({
    url: `ws://127.0.0.1:${port}/ws`,
    transport: engineTransport,
    token: await tokenFor('watcher'),
  });
  t.after(() => client.close());
  await client.connect();
  const received: number[] = [];
  client.subscription(channel).on('publication', (p) => received.push((p.data as { i: number }).i));
  await client.subscribe(channel);
  return { client, received };
}

test('client: a publisher offline for 5 s with 500 queued messages delivers each once, in order, after reconnecting', {
  timeout: 60_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const proxy = await startProxy(t, server.port);
  const { client: watcher, received } = await subscriberOn(t, server.port, 'chat:offline');
  const publisher = new Client({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('pub'),
    reconnect: { minDelayMs: 100, maxDelayMs: 1000, factor: 2 },
  });
  t.after(() => publisher.close());
  const states: string[] = [];
  publisher.on('statechange', (s) => states.push(`${s.state}:${s.reason}`));
  await publisher.connect();
  proxy.refuse(true);
  proxy.cut();
  await waitFor(() => publisher.state !== 'connected', 5000);
  const offlineAt = Date.now();
  const acks = Array.from({ length: QUEUED }, (_, i) => publisher.publish('chat:offline', { i }));
  assert.equal(publisher.outbox.length, QUEUED);
  await new Promise((r) => setTimeout(r, OFFLINE_MS));
  assert.equal(received.length, 0, 'nothing leaks out while offline');
  proxy.refuse(false);
  const replies = await Promise.all(acks);
  await waitFor(
    () => received.length >= QUEUED,
    10_000,
    () => `(received ${received.length})`,
  );
  await new Promise((r) => setTimeout(r, 100));
  const figures = {
    queued: QUEUED,
    offlineMs: Date.now() - offlineAt,
    acked: publisher.metrics.acked,
    received: received.length,
    unique: new Set(received).size,
    duplicatesDropped: watcher.metrics.duplicates,
    gaps: watcher.metrics.gaps,
    serverDuplicates: replies.filter((r) => r.duplicate).length,
    reconnectAttempts: states.filter((s) => s.startsWith('connecting')).length,
  };
  console.log(`# fault (b) offline figures ${JSON.stringify(figures)}`);
  assert.deepEqual(
    received,
    Array.from({ length: QUEUED }, (_, i) => i),
  );
  assert.equal(publisher.outbox.length, 0);
  assert.ok(states.includes('disconnected:transport_closed') && states.some((s) => s.startsWith('connected')));
});

test('client: the file outbox survives a SIGKILLed publisher; the next process delivers all 500 once, in order', {
  timeout: 90_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const proxy = await startProxy(t, server.port);
  const { client: watcher, received } = await subscriberOn(t, server.port, 'chat:restart');
  const dir = await mkdtemp(join(tmpdir(), 'sb-outbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'outbox.json');
  const url = `ws://127.0.0.1:${proxy.port}/ws`;
  const run = (mode: string, until: RegExp): Promise<{ out: string; kill(): void; exited: Promise<number | null> }> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/helpers/outbox-child.ts', mode, url, file, String(QUEUED)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      t.after(() => {
        child.kill('SIGKILL');
      });
      let out = '';
      let err = '';
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const timer = setTimeout(() => reject(new Error(`child ${mode} timed out: ${out} ${err}`)), 40_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (until.test(out)) {
          clearTimeout(timer);
          resolve({ out, kill: () => child.kill('SIGKILL'), exited });
        }
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('exit', (code) => {
        if (!until.test(out)) {
          clearTimeout(timer);
          reject(new Error(`child ${mode} exited ${code}: ${out} ${err}`));
        }
      });
    });
  proxy.refuse(true);
  const first = await run('queue', /queued \d+/);
  assert.match(first.out, new RegExp(`queued ${QUEUED}`));
  first.kill();
  await first.exited;
  const onDisk = JSON.parse(await readFile(file, 'utf8')) as OutboxEntry[];
  assert.equal(onDisk.length, QUEUED);
  assert.equal(received.length, 0);
  proxy.refuse(false);
  const second = await run('drain', /acked \d+ left \d+/);
  await second.exited;
  await waitFor(
    () => received.length >= QUEUED,
    10_000,
    () => `(received ${received.length})`,
  );
  await new Promise((r) => setTimeout(r, 100));
  const figures = {
    queued: QUEUED,
    persisted: onDisk.length,
    childReport: second.out.trim(),
    received: received.length,
    unique: new Set(received).size,
    duplicatesDropped: watcher.metrics.duplicates,
    gaps: watcher.metrics.gaps,
  };
  console.log(`# fault (b) restart figures ${JSON.stringify(figures)}`);
  assert.match(second.out, new RegExp(`acked ${QUEUED} left 0`));
  assert.deepEqual(
    received,
    Array.from({ length: QUEUED }, (_, i) => i),
  );
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), []);
});

test('client: a full outbox rejects new messages with outbox_full, or drops the oldest with dropped, by policy', async () => {
  const offline = { url: 'ws://127.0.0.1:9/ws', transport: engineTransport, reconnect: false as const };
  const reject = new Client({ ...offline, outbox: { maxMessages: 2 } });
  const a = reject.publish('chat:x', 1);
  const b = reject.publish('chat:x', 2);
  await assert.rejects(
    reject.publish('chat:x', 3),
    (e: unknown) => e instanceof ClientError && e.code === 'outbox_full',
  );
  assert.deepEqual(
    reject.outbox.map((e) => e.data),
    [1, 2],
  );
  reject.close();
  await assert.rejects(a, (e: unknown) => e instanceof ClientError && e.code === 'closed');
  await assert.rejects(b, (e: unknown) => e instanceof ClientError && e.code === 'closed');
  const drop = new Client({ ...offline, outbox: { maxMessages: 2, whenFull: 'drop-oldest' } });
  const first = drop.publish('chat:x', 1);
  const failed: unknown[] = [];
  drop.on('failed', (f) => failed.push(f.entry.data));
  void drop.publish('chat:x', 2).catch(() => {});
  void drop.publish('chat:x', 3).catch(() => {});
  await assert.rejects(first, (e: unknown) => e instanceof ClientError && e.code === 'dropped');
  assert.deepEqual(
    drop.outbox.map((e) => e.data),
    [2, 3],
  );
  assert.deepEqual(failed, [1]);
  drop.close();
});

test('client: stores load what they saved; a corrupt or missing outbox file loads as empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fs = await import('node:fs/promises');
  const entry: OutboxEntry = { id: 'm1', kind: 'publish', target: 'chat:x', data: { a: 1 }, queuedAt: 1 };
  const store = new FileOutboxStore(join(dir, 'o.json'), { fs });
  assert.deepEqual(await store.load(), []);
  await store.save([entry]);
  assert.deepEqual(await store.load(), [entry]);
  await fs.writeFile(join(dir, 'o.json'), '{not json', 'utf8');
  assert.deepEqual(await store.load(), []);
  await fs.writeFile(join(dir, 'o.json'), JSON.stringify([{ id: 5 }, entry]), 'utf8');
  assert.deepEqual(await store.load(), [entry], 'malformed entries are skipped');
  const memory = new MemoryOutboxStore();
  await memory.save([entry]);
  assert.deepEqual(await memory.load(), [entry]);
});

// Smoke test of the HTTP-transports benchmark: every row's server starts, every subscriber gets every message on every
// transport, ratios against socket.io polling come out, and bad flags are refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

interface Row {
  readonly runs: number;
  readonly failed: number;
  readonly failures: string[];
  readonly deliveriesPerSec: number;
  readonly p99Ms: number;
  readonly rssPerSubscriberBytes: number;
}

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bench/transports.mjs', ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error ? String(r.error) : ''}` };
}

const ROWS = ['sb-sse', 'sb-stream', 'sb-poll', 'sb-ws', 'sio-polling', 'sio-ws'];

test('bench/transports.mjs measures every transport with a small load and every delivery arrives', () => {
  const r = bench([
    '--clients',
    '20',
    '--repeats',
    '1',
    '--latency-messages',
    '3',
    '--throughput-messages',
    '10',
    '--phase-timeout-s',
    '30',
    '--no-write',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    summary: Record<string, Row>;
    ratios: Record<string, { throughput: number }>;
    unavailable: string[];
  };
  assert.deepEqual(last.unavailable, [], 'every transport is served by this tree');
  for (const name of ROWS) {
    const row = last.summary[name];
    assert.ok(row !== undefined, `${name} was measured`);
    assert.equal(row.failed, 0, `${name}: ${row.failures.join('; ')}`);
    assert.ok(row.deliveriesPerSec > 0, name);
    assert.ok(Number.isFinite(row.p99Ms), name);
    assert.ok(Number.isFinite(row.rssPerSubscriberBytes), name);
    assert.ok(Number.isFinite(last.ratios[name]!.throughput), name);
  }
  assert.equal(last.ratios['sio-polling']!.throughput, 1);
  assert.match(r.stdout, /\| Switchboard SSE, plain EventSource/);
  assert.match(r.stdout, /\| socket\.io polling/);
});

test('bench/transports.mjs refuses unknown rows and bad counts, saying which', () => {
  const rows = bench(['--rows', 'sb-sse,carrier-pigeon']);
  assert.equal(rows.status, 1);
  assert.match(rows.stderr, /--rows: unknown row\(s\) carrier-pigeon/);
  const clients = bench(['--clients', '0']);
  assert.equal(clients.status, 1);
  assert.match(clients.stderr, /--clients must be a whole number of 1 or more, got "0"/);
  const nice = bench(['--nice', 'fast']);
  assert.equal(nice.status, 1);
  assert.match(nice.stderr, /--nice must be an integer from -20 to 19, got "fast"/);
});

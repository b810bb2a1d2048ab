// Smoke test of the fan-out benchmark harness: both servers start, every subscriber gets every message, a ratio comes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('bench/realtime-fanout.mjs runs both servers with a small load and reports complete deliveries', () => {
  const result = spawnSync(
    process.execPath,
    [
      'bench/realtime-fanout.mjs',
      '--clients',
      '200',
      '--repeats',
      '1',
      '--latency-messages',
      '5',
      '--throughput-messages',
      '10',
      '--no-write',
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  assert.equal(result.status, 0, result.stderr);
  const last = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
    ratio: number;
    summary: Record<string, { deliveriesPerSec: number; p99Ms: number }>;
  };
  for (const name of ['switchboard', 'socketio']) {
    assert.ok(last.summary[name]!.deliveriesPerSec > 0, name);
    assert.ok(Number.isFinite(last.summary[name]!.p99Ms), name);
  }
  assert.ok(Number.isFinite(last.ratio));
  assert.match(result.stdout, /\| Switchboard RealtimeServer/);
});

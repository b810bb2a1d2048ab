// Smoke test of bench/feeds-ingest.mjs at a tiny size, so the harness cannot rot: the producer, NATS (the machine's,
// on 4222, with the run's own subjects and streams, deleted after), Switchboard `serve` with its JetStream ingest, the
// `ws` peer and the load processes all run; every row delivers and a table comes out. Bad arguments are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'nats';

const NATS_URL = 'nats://127.0.0.1:4222';

async function benchStreams(): Promise<string[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const names: string[] = [];
    for await (const s of (await nc.jetstreamManager()).streams.list()) names.push(s.config.name);
    return names.filter((n) => n.startsWith('FEEDBENCH_'));
  } finally {
    await nc.close();
  }
}

test('bench/feeds-ingest.mjs runs Switchboard and the ws peer with a small load and reports every row', {
  timeout: 240_000,
}, async () => {
  const before = await benchStreams();
  const rows = ['peer', 'plain', 'batch', 'deflate', 'conflate-slow'];
  const result = spawnSync(
    process.execPath,
    [
      'bench/feeds-ingest.mjs',
      ...['--subscribers', '40', '--loads', '1', '--rates', '20', '--step-seconds', '1', '--repeats', '1'],
      ...['--rows', rows.join(','), '--p99-bound-ms', '5000', '--no-write', '--no-pin'],
    ],
    { encoding: 'utf8', timeout: 200_000, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  assert.equal(result.status, 0, result.stderr);
  const last = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
    summary: Record<
      string,
      { steps: ({ deliveriesPerSec: number; p99Ms: number; slowP99Ms: number | null } | null)[] }
    >;
    ratios: Record<string, number | null>;
  };
  for (const row of rows) {
    const step = last.summary[row]!.steps[0]!;
    assert.ok(step.deliveriesPerSec > 0, `${row} delivered`);
    assert.ok(Number.isFinite(step.p99Ms), `${row} has a p99`);
  }
  assert.ok(Number.isFinite(last.summary['conflate-slow']!.steps[0]!.slowP99Ms), 'the slow class is measured');
  assert.equal(last.summary['plain']!.steps[0]!.slowP99Ms, null);
  assert.ok(last.ratios['plainVsPeer'] !== null);
  assert.match(result.stdout, /\| `ws` peer \(NATS consumer looping ws\.send\) \|/);
  assert.match(result.stdout, /\| Switchboard, permessage-deflate \|/);
  assert.deepEqual(await benchStreams(), before, 'the run deleted its streams');
});

test('bench/feeds-ingest.mjs refuses bad arguments with a message naming them', () => {
  for (const [args, message] of [
    [['--rates', '0,10'], /--rates must be positive numbers/],
    [['--subscribers', 'many'], /--subscribers must be a positive number/],
    [['--rows', 'plain,kafka'], /--rows: unknown row kafka/],
    [['--nice', '40'], /--nice must be an integer from -20 to 19/],
  ] as const) {
    const r = spawnSync(process.execPath, ['bench/feeds-ingest.mjs', ...args, '--no-write'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
  }
});

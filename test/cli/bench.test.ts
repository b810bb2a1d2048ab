// `switchboard bench` as a real process against a real `serve --dev`: counts, latency summary, progress, bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Histogram } from '../../src/cli/bench-histogram.ts';
import { DEV_SECRET } from '../../src/cli/config.ts';
import { signToken } from '../../src/realtime/index.ts';
import { clientEnv, serveDev } from '../helpers/cli-fixtures.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBench(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/switchboard.js', 'bench', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: clientEnv(env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('bench --json: 20 clients, 200 msg/s for 2 s: every subscriber receives every message, no errors, sane percentiles', async (t) => {
  const { url } = await serveDev(t);
  const r = await runBench([url, '--clients', '20', '--rate', '200', '--duration', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    clients: number;
    publishers: number;
    connections: { ok: number; failed: number };
    subscribers: number;
    sent: number;
    acknowledged: number;
    resent: number;
    received: number;
    expected: number;
    errors: Record<string, number>;
    disconnects: number;
    latencyMs: {
      count: number;
      min: number;
      p50: number;
      p90: number;
      p99: number;
      p999: number;
      max: number;
      mean: number;
    };
    histogram: Array<{ fromMs: number; toMs: number; count: number }>;
  };
  assert.deepEqual(s.connections, { ok: 20, failed: 0 });
  assert.equal(s.subscribers, 20);
  assert.equal(s.publishers, 5, 'one publisher per 40 msg/s by default');
  assert.equal(s.sent, 400, '200 msg/s for 2 s');
  assert.equal(s.acknowledged, s.sent);
  assert.equal(s.resent, 0);
  assert.equal(s.received, s.sent * s.subscribers);
  assert.equal(s.expected, s.received);
  assert.deepEqual(s.errors, {});
  assert.equal(s.disconnects, 0);
  const l = s.latencyMs;
  assert.equal(l.count, s.received);
  assert.ok(
    l.min >= 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
    JSON.stringify(l),
  );
  assert.ok(l.max < 10_000, `a loopback delivery takes less than 10 s: ${l.max}`);
  assert.equal(
    s.histogram.reduce((a, h) => a + h.count, 0),
    s.received,
  );
  for (let i = 1; i < s.histogram.length; i++) assert.equal(s.histogram[i]!.fromMs, s.histogram[i - 1]!.toMs);
  // The progress line: once a second on stderr, stdout stays pure JSON.
  assert.match(
    r.stderr,
    /\[\s+1s\] sent \d+ {2}acked \d+ {2}received \d+ {2}errors 0 {2}disconnects 0 {2}p50 [\d.]+ ms {2}p99 [\d.]+ ms/,
  );
});

test('bench without --json prints the counts, percentiles and a histogram; a bad token fails every client: exit 1', async (t) => {
  const { url } = await serveDev(t);
  const r = await runBench([
    url,
    '--clients',
    '3',
    '--publishers',
    '2',
    '--rate',
    '20',
    '--duration',
    '1',
    '--size',
    '10',
    '--channel',
    'chat:bench-text',
    '-q',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', '-q: no progress line');
  assert.match(r.stdout, /3 clients \(2 publishing\), 20 msg\/s for 1 s, 10-byte padding, channel chat:bench-text/);
  assert.match(
    r.stdout,
    /messages: sent 20 \([\d.]+\/s\), acknowledged 20, resent 0, received 60 of 60 expected \(100\.00 %\)/,
  );
  assert.match(r.stdout, /^errors: none$/m);
  assert.match(
    r.stdout,
    /p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}max [\d.]+ {2}\(mean [\d.]+, 60 deliveries\)/,
  );
  assert.match(r.stdout, /^ +[\d.]+ - +[\d.]+ ms \| #+ *\| +\d+ +[\d.]+ %$/m);
  // One publisher over the server's 50 msg/s per-connection limit: refusals are counted by code, the run still completes.
  const limited = await runBench([
    url,
    '--clients',
    '3',
    '--publishers',
    '1',
    '--rate',
    '150',
    '--duration',
    '2',
    '--channel',
    'chat:bench-limited',
    '--json',
    '-q',
  ]);
  assert.equal(limited.code, 0, limited.stderr);
  const l = JSON.parse(limited.stdout) as {
    sent: number;
    acknowledged: number;
    received: number;
    errors: Record<string, number>;
  };
  assert.equal(l.sent, 300);
  assert.ok((l.errors['rate_limited'] ?? 0) > 0, JSON.stringify(l.errors));
  assert.ok(l.acknowledged < l.sent);
  assert.ok(l.received >= l.acknowledged * 2, 'the two other subscribers get every acknowledged message');
  const refused = await runBench([
    url,
    '--clients',
    '2',
    '--rate',
    '5',
    '--duration',
    '1',
    '--token',
    'not.a.jwt',
    '--json',
    '-q',
  ]);
  assert.equal(refused.code, 1, refused.stderr);
  const s = JSON.parse(refused.stdout) as {
    connections: { ok: number; failed: number };
    errors: Record<string, number>;
    sent: number;
  };
  assert.deepEqual(s.connections, { ok: 0, failed: 2 });
  assert.deepEqual(s.errors, { unauthorized: 2 });
  assert.equal(s.sent, 0);
  assert.match(refused.stderr, /no client could connect and subscribe \(unauthorized\)/);
});

test('bench connects with SWITCHBOARD_TOKEN when no --token is given, against a serve that requires a token', async (t) => {
  const { url } = await serveDev(t, ['--set', 'auth.anonymous.enabled=false']);
  const token = await signToken({ sub: 'bench-user', ttlMs: 3_600_000 }, { type: 'secret', secret: DEV_SECRET });
  const args = [url, '--clients', '2', '--rate', '5', '--duration', '1', '--drain', '1000', '--json', '-q'];
  const withVariable = await runBench(args, 60_000, { SWITCHBOARD_TOKEN: token });
  assert.equal(withVariable.code, 0, withVariable.stderr);
  const ok = JSON.parse(withVariable.stdout) as {
    connections: { ok: number; failed: number };
    errors: Record<string, number>;
  };
  assert.deepEqual(ok.connections, { ok: 2, failed: 0 });
  assert.deepEqual(ok.errors, {});
  // The flag wins over the variable.
  const flagWins = await runBench([...args, '--token', 'not.a.jwt'], 60_000, { SWITCHBOARD_TOKEN: token });
  assert.equal(flagWins.code, 1);
  assert.match(flagWins.stderr, /no client could connect and subscribe \(unauthorized\)/);
  const without = await runBench(args);
  assert.equal(without.code, 1, 'no token, no anonymous access');
  const bad = await runBench(args, 60_000, { SWITCHBOARD_TOKEN: 'two words' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid SWITCHBOARD_TOKEN: expected printable ASCII without spaces/);
});

test('bench --help names SWITCHBOARD_TOKEN as the default of --token', async () => {
  const help = await runBench(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /-t, --token JWT .*\$SWITCHBOARD_TOKEN/);
});

test('--local-address spreads the clients over source addresses, under a per-address connection limit', async (t) => {
  const { url } = await serveDev(t, ['--set', 'limits.maxConnectionsPerIp=4']);
  const common = [url, '--clients', '8', '--rate', '10', '--duration', '1', '--json', '-q'];
  const spread = await runBench([...common, '--local-address', '127.0.0.1', '--local-address', '127.0.0.2']);
  assert.equal(spread.code, 0, spread.stderr);
  const ok = JSON.parse(spread.stdout) as {
    connections: { ok: number; failed: number };
    received: number;
    sent: number;
    errors: object;
  };
  assert.deepEqual(ok.connections, { ok: 8, failed: 0 });
  assert.equal(ok.received, ok.sent * 8);
  assert.deepEqual(ok.errors, {});
  // Wait until the server has seen those connections go, then from one address only: the limit refuses some.
  await new Promise((r) => setTimeout(r, 500));
  const single = await runBench([...common, '--local-address', '127.0.0.3']);
  assert.equal(single.code, 0, single.stderr);
  const limited = JSON.parse(single.stdout) as { connections: { ok: number; failed: number } };
  assert.equal(limited.connections.ok, 4, single.stdout);
  assert.equal(limited.connections.failed, 4);
  const unavailable = await runBench([url, '--local-address', '10.255.255.1', '--duration', '1']);
  assert.equal(unavailable.code, 2);
  assert.match(unavailable.stderr, /cannot connect from local address 10\.255\.255\.1 \(EADDRNOTAVAIL\)/);
  const invalid = await runBench([url, '--local-address', 'localhost']);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /invalid --local-address "localhost": expected an IPv4 or IPv6 address/);
});

test('bad arguments and an unreachable server exit 2 with a clear message', async () => {
  const port = await closedPort();
  const url = `ws://127.0.0.1:${port}/ws`;
  const cases: Array<[string[], RegExp]> = [
    [[url, '--clients', '0'], /invalid --clients "0": expected an integer from 1 to 10000/],
    [[url, '--clients', '2.5'], /invalid --clients "2.5"/],
    [[url, '--rate', 'abc'], /invalid --rate "abc": expected a number above 0/],
    [[url, '--rate', '0'], /invalid --rate "0"/],
    [[url, '--clients', '2', '--publishers', '3'], /invalid --publishers "3": expected an integer from 1 to 2/],
    [[url, '--duration=-1'], /invalid --duration "-1": expected a number above 0, at most 3600/],
    [[url, '--duration', '-1'], /Option '--duration' argument is ambiguous/],
    [[url, '--size', '2000000'], /invalid --size "2000000"/],
    [[url, '--channel', 'no namespace'], /invalid --channel "no namespace"/],
    [['ftp://127.0.0.1/'], /invalid URL "ftp:\/\/127\.0\.0\.1\/"/],
    [[], /expected exactly one URL/],
    [[url, '--nope'], /Unknown option '--nope'/],
    [[url, '--duration', '1'], new RegExp(`cannot open ${url.replace(/[./]/g, '\\$&')}: .*ECONNREFUSED`)],
  ];
  for (const [args, message] of cases) {
    const r = await runBench(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
  const help = await runBench(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: switchboard bench URL/);
});

test('the histogram: exact below 64 µs, percentiles within 3 %, power-of-two ranges that sum to the count', () => {
  const h = new Histogram();
  assert.deepEqual(h.summary(), {
    count: 0,
    min: null,
    mean: null,
    p50: null,
    p90: null,
    p99: null,
    p999: null,
    max: null,
  });
  assert.deepEqual(h.ranges(), []);
  for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 ms .. 100 ms, uniform
  const s = h.summary();
  assert.equal(s.count, 10_000);
  assert.equal(s.min, 0.01);
  assert.equal(s.max, 100);
  for (const [q, got] of [
    [0.5, s.p50],
    [0.9, s.p90],
    [0.99, s.p99],
    [0.999, s.p999],
  ] as const) {
    const exact = q * 100;
    assert.ok(Math.abs(got! - exact) / exact < 0.035, `q${q}: ${got} vs ${exact}`);
  }
  const ranges = h.ranges();
  assert.equal(
    ranges.reduce((a, r) => a + r.count, 0),
    10_000,
  );
  assert.equal(ranges[0]!.fromMs, 0);
  assert.equal(ranges[0]!.toMs, 0.128);
  assert.ok(ranges.at(-1)!.toMs > 100 && ranges.at(-1)!.fromMs <= 100);
  const small = new Histogram();
  small.record(0.005);
  small.record(0.063);
  small.record(-3);
  assert.deepEqual([small.quantile(0), small.quantile(0.5), small.quantile(1)], [0, 0.005, 0.063]);
  small.reset();
  assert.equal(small.count, 0);
});

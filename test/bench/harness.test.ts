// Benchmark harness smoke test: bench/run.mjs builds wsload, measures small echo and permessage-deflate runs against
// ws, and reports them; wsload --deflate --verify round-trips compressed messages through ws and socket.io.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Row {
  readonly n: number;
  readonly of: number;
  readonly medians: Record<string, number>;
  readonly ratios: Record<string, number>;
}
interface Summary {
  readonly servers: string[];
  readonly summary: Record<string, Record<string, Row>>;
}

function runHarness(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['bench/run.mjs', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

test('bench harness runs a quick 32 B echo against ws and writes medians, ratios, raw JSON and RESULTS.md', {
  timeout: 150_000,
}, (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));

  // A missing gcc (wsload is C) or taskset makes the harness exit 1 naming what to install; the output says so here.
  const r = runHarness(['--quick', '--only', 'echo32', '--only', 'ws', '--out-dir', out]);
  assert.equal(r.status, 0, `bench/run.mjs failed:\n${r.output}`);

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.servers, ['ws']);
  assert.deepEqual(Object.keys(summary.summary), ['echo32']);
  const row = summary.summary['echo32']?.['ws'];
  assert.ok(row, 'summary has the echo32/ws row');
  assert.equal(row.n, 1);
  assert.ok((row.medians['msgs_per_s'] ?? 0) > 0, 'echoed some messages');
  assert.ok((row.medians['cpu_ms_per_1k'] ?? 0) > 0, 'sampled the server CPU');
  assert.ok(Number.isFinite(row.medians['loadgen_cpu_pct']), "reported the generator's own CPU");
  assert.equal(row.ratios['msgs_per_s'], 1, 'the baseline is its own reference');

  const raw = JSON.parse(readFileSync(join(out, 'echo32.ws.1.json'), 'utf8')) as {
    report: { ready: number; failed: number };
    ready_line: string;
  };
  assert.equal(raw.report.ready, 100);
  assert.equal(raw.report.failed, 0);
  assert.match(raw.ready_line, /bufferutil=yes/);

  const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
  assert.match(md, /quick smoke run/);
  assert.match(md, /\| ws \+ bufferutil \| 1\/1 \|/);
  assert.match(md, /taskset -c 0 bench\/out\/bin\/wsload echo --url ws:\/\/127\.0\.0\.1:PORT\/ -c 100 -d 8 -s 32 /);
  assert.ok(!existsSync(join(out, 'echo4k.ws.1.json')), '--only ran only the chosen measure');
});

test('bench harness rejects an unknown --only name and lists the valid ones', () => {
  const r = runHarness(['--quick', '--only', 'no-such-measure']);
  assert.equal(r.status, 1);
  assert.match(
    r.output,
    /unknown --only name\(s\) "no-such-measure"; measures: echo32 echo4k latency fanout idle deflate; servers: ws ws-plain socketio switchboard/,
  );
});

interface DeflateReport {
  readonly ready: number;
  readonly failed: number;
  readonly msgs: number;
  readonly server: { readonly bytes_per_conn: number; readonly rss_kb_before: number };
  readonly deflate: {
    readonly negotiated: string;
    readonly accepted: number;
    readonly rejected: number;
    readonly rsv1_msgs: number;
    readonly plain_msgs: number;
    readonly rsv1_share: number;
    readonly sent_compressed_mean: number;
    readonly verified: number;
    readonly verify_errors: number;
  };
}

test('bench harness runs the quick permessage-deflate measure against ws: negotiated, every echo compressed, RSS per connection', {
  timeout: 150_000,
}, (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));

  const r = runHarness(['--quick', '--only', 'deflate', '--only', 'ws', '--out-dir', out]);
  assert.equal(r.status, 0, `bench/run.mjs failed:\n${r.output}`);

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  const row = summary.summary['deflate']?.['ws'];
  assert.ok(row, 'summary has the deflate/ws row');
  assert.equal(row.n, 1);
  assert.ok((row.medians['msgs_per_s'] ?? 0) > 0, 'echoed some compressed messages');
  assert.ok((row.medians['cpu_ms_per_1k'] ?? 0) > 0, 'sampled the server CPU');
  assert.ok((row.medians['bytes_per_conn'] ?? 0) > 0, 'the server grew while 200 connections compressed');
  assert.ok(Number.isFinite(row.medians['loadgen_cpu_pct']), "reported the generator's own CPU");

  const raw = JSON.parse(readFileSync(join(out, 'deflate.ws.1.json'), 'utf8')) as {
    report: DeflateReport;
    ready_line: string;
  };
  assert.match(raw.ready_line, /bufferutil=yes deflate=on/, 'the harness started ws with BENCH_DEFLATE=1');
  assert.equal(raw.report.ready, 200);
  assert.equal(raw.report.deflate.accepted, 200);
  assert.equal(raw.report.deflate.negotiated, 'permessage-deflate');
  assert.ok(raw.report.deflate.rsv1_msgs > 0);
  assert.equal(raw.report.deflate.plain_msgs, 0, 'ws compressed every 2 KiB echo (threshold 1,024)');
  assert.ok(raw.report.deflate.sent_compressed_mean < 2048 * 0.6, 'the JSON-like payload is compressible');

  const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
  assert.match(md, /## permessage-deflate: echo of 2 KiB JSON-like text, 1,000 compressing connections/);
  assert.match(md, /\| permessage-deflate: bytes of RSS per compressing connection \| [\d,]+ \|/);
  assert.match(md, /BENCH_DEFLATE=1 taskset -c 1 node bench\/servers\/ws\.mjs/);
  assert.match(md, /wsload echo --url ws:\/\/127\.0\.0\.1:PORT\/ -c 200 -d 1 -s 2048 --deflate /);
});

/** Starts a bench server on an ephemeral port; resolves with its port and a stop function. */
async function startBenchServer(
  script: string,
  env: Record<string, string>,
): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buf = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout) {
    buf += String(chunk);
    const m = /^listening (\d+)/m.exec(buf);
    if (m) return { port: Number(m[1]), pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
  }
  await once(child, 'exit');
  throw new Error(`${script} exited before listening: ${buf}`);
}

function wsload(args: string[]): { status: number | null; report: DeflateReport | undefined; stderr: string } {
  const r = spawnSync('bench/out/bin/wsload', args, { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  return { status: r.status, report: line ? (JSON.parse(line) as DeflateReport) : undefined, stderr: r.stderr };
}

test('wsload --deflate --verify inflates the echoes of ws and socket.io and finds what it sent; a server without deflate fails the handshake', {
  timeout: 60_000,
}, async (t) => {
  // bench/out/bin/wsload was built by the harness runs above.
  const echo = [
    'echo',
    '-c',
    '20',
    '-d',
    '2',
    '-s',
    '2048',
    '--deflate',
    '--verify',
    '-T',
    '0.3',
    '-w',
    '0.1',
    '--json',
  ];
  for (const [script, extra] of [
    ['bench/servers/ws.mjs', []],
    ['bench/servers/socketio.mjs', ['--sio']],
  ] as const) {
    const server = await startBenchServer(script, { BENCH_DEFLATE: '1' });
    t.after(server.stop);
    const r = wsload([...echo, ...extra, '--url', `ws://127.0.0.1:${server.port}/`, '--pid', String(server.pid)]);
    server.stop();
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
    assert.ok(r.report, script);
    assert.equal(r.report.ready, 20, script);
    assert.equal(r.report.deflate.verify_errors, 0, script);
    assert.ok(r.report.deflate.verified > 0, `${script}: verified some echoes`);
    assert.equal(
      r.report.deflate.verified,
      r.report.deflate.rsv1_msgs,
      `${script}: every echo was compressed and checked`,
    );
  }

  const plain = await startBenchServer('bench/servers/ws.mjs', {});
  t.after(plain.stop);
  const r = wsload([
    'echo',
    '-c',
    '3',
    '-s',
    '2048',
    '--deflate',
    '-T',
    '0.2',
    '-w',
    '0',
    '--json',
    '--url',
    `ws://127.0.0.1:${plain.port}/`,
  ]);
  plain.stop();
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    /--deflate: the server did not accept permessage-deflate: no Sec-WebSocket-Extensions header in the 101 response/,
  );
  assert.equal(r.report?.deflate.rejected, 3);
});

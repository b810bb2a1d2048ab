// Benchmark harness smoke test: bench/run.mjs builds wsload, measures one small echo run against ws, and reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('bench harness runs a quick 32 B echo against ws and writes medians, ratios, raw JSON and RESULTS.md', { timeout: 150_000 }, (t) => {
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

  const raw = JSON.parse(readFileSync(join(out, 'echo32.ws.1.json'), 'utf8')) as { report: { ready: number; failed: number }; ready_line: string };
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
  assert.match(r.output, /unknown --only name\(s\) "no-such-measure"; measures: echo32 echo4k latency fanout idle; servers: ws ws-plain socketio switchboard/);
});

// deploy/Dockerfile and .dockerignore: multi-stage, non-root, curl-less HEALTHCHECK that really answers against a running
// server, and every COPY source present in the build context. No Docker engine runs here (deploy/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNode } from '../cluster/harness/nodes.ts';
import { freePort } from '../cluster/harness/process.ts';
import { readDeployFile, ROOT } from '../cluster/harness/templates.ts';
import { run } from './helpers.ts';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

function instructions(): Instruction[] {
  const joined = readDeployFile('Dockerfile').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      const m = /^\s*(\S+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    });
}

function healthcheckScript(): string {
  const hc = instructions().find((i) => i.op === 'HEALTHCHECK');
  assert.ok(hc, 'HEALTHCHECK present');
  const cmd = JSON.parse(/CMD\s+(\[.*\])\s*$/.exec(hc.args)![1]!) as string[];
  assert.deepEqual(cmd.slice(0, 2), ['node', '-e'], 'curl-less: the image has node, not curl');
  return cmd[2]!;
}

test('Dockerfile: multi-stage, the runtime stage runs as the non-root node user with SIGTERM and serve', () => {
  const ins = instructions();
  const froms = ins.map((i, n) => ({ ...i, n })).filter((i) => i.op === 'FROM');
  assert.ok(froms.length >= 2, 'multi-stage');
  const runtime = ins.slice(froms.at(-1)!.n);
  const user = runtime.filter((i) => i.op === 'USER').at(-1);
  assert.ok(user !== undefined && !/^(root|0)(:|$)/.test(user.args), 'non-root');
  assert.ok(runtime.some((i) => i.op === 'COPY' && i.args.includes('--from=build')));
  assert.equal(runtime.find((i) => i.op === 'STOPSIGNAL')?.args, 'SIGTERM');
  assert.match(runtime.find((i) => i.op === 'CMD')?.args ?? '', /"bin\/switchboard\.js", "serve"/);
});

test('Dockerfile: every COPY source of the build stage exists and .dockerignore does not exclude it', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const sources = instructions()
    .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  assert.ok(sources.length > 0);
  for (const s of sources) {
    assert.ok(existsSync(join(ROOT, s)), `${s} exists`);
    assert.ok(!ignored.includes(s) && !ignored.includes(s.replace(/\/$/, '')), `${s} is not in .dockerignore`);
  }
  for (const heavy of ['node_modules', '.git', 'dist', 'test'])
    assert.ok(ignored.includes(heavy), `${heavy} stays out of the context`);
});

test('Dockerfile HEALTHCHECK: its node -e script exits 0 against a running serve and 1 against a closed port', async (t) => {
  const script = healthcheckScript();
  const node = await startNode(t, 'hc', { broker: 'memory:' });
  const ok = run('env', [`SWITCHBOARD_PORT=${node.port}`, process.execPath, '-e', script]);
  assert.equal(ok.status, 0, ok.stderr);
  const closed = await freePort();
  const down = run('env', [`SWITCHBOARD_PORT=${closed}`, process.execPath, '-e', script]);
  assert.equal(down.status, 1);
});

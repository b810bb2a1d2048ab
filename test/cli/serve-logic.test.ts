// `switchboard serve --logic <module>` as a real process: the module's hooks and rpc methods serve real clients, a
// hook failure is logged as logic_failed and counted in /metrics, and a broken module stops serve with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_API_KEY } from '../../src/cli/config.ts';
import { openRaw } from '../helpers/realtime.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

const LOGIC_MODULE = `
let seen = 0;
export default {
  onPublish(context) {
    if (typeof context.data === 'string' && context.data.includes('darn')) {
      return { refuse: { code: 'invalid_message', message: 'Mind your language' } };
    }
    return { data: { text: context.data, by: context.user } };
  },
  onSubscribe(context) {
    if (context.channel === 'chat:broken') throw new Error('a bug in the logic');
    return undefined;
  },
  rpc: {
    'counter.next': () => ({ data: ++seen }),
    whoami: (context) => ({ data: { user: context.user, roles: context.roles } }),
  },
};
`;

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stdout: () => string;
}

function spawnServe(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, out: () => out, err: () => err };
}

async function serve(t: { after(fn: () => unknown): void }, args: string[]): Promise<Served> {
  const { child, out, err } = spawnServe(args);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${out()} ${err()}`)), 30_000);
    const onData = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(out());
      if (m === null) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out()} ${err()}`)));
  });
  return { child, port, stdout: out };
}

async function tempModule(t: { after(fn: () => unknown): void }, source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-logic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'logic.mjs');
  await writeFile(file, source);
  return file;
}

test('serve --logic: hooks transform and refuse, rpc methods answer, failures are logged and counted', async (t) => {
  const file = await tempModule(t, LOGIC_MODULE);
  const s = await serve(t, ['--dev', '--port', '0', '--log-level', 'info', '--logic', file]);
  const base = `http://127.0.0.1:${s.port}`;
  const { token } = (await (
    await fetch(`${base}/api/dev-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"user":"alice"}',
    })
  ).json()) as { token: string };
  const client = await openRaw(t, `ws://127.0.0.1:${s.port}/ws?token=${token}`, { headers: { Origin: base } });
  assert.equal((await client.request({ type: 'connect' }))['user'], 'alice');

  assert.equal((await client.request({ type: 'rpc', method: 'counter.next' }))['data'], 1);
  assert.equal((await client.request({ type: 'rpc', method: 'counter.next' }))['data'], 2);
  const whoami = (await client.request({ type: 'rpc', method: 'whoami' }))['data'] as { user: string };
  assert.equal(whoami.user, 'alice');
  assert.equal((await client.request({ type: 'rpc', method: 'nope' }))['code'], 'not_found');

  await client.request({ type: 'subscribe', channel: 'chat:general' });
  await client.request({ type: 'publish', channel: 'chat:general', data: 'hello', id: 'm1' });
  const publication = await client.next((m) => m.type === 'publication');
  assert.deepEqual(publication['data'], { text: 'hello', by: 'alice' });
  const refused = await client.request({ type: 'publish', channel: 'chat:general', data: 'darn', id: 'm2' });
  assert.deepEqual([refused['code'], refused['message']], ['invalid_message', 'Mind your language']);

  // The HTTP API is the backend itself: its publish skips onPublish (no refusal, no { text, by } wrapping).
  const api = await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': DEV_API_KEY },
    body: JSON.stringify({ channel: 'chat:general', data: 'darn from the backend' }),
  });
  assert.equal(api.status, 200);
  assert.equal((await client.next((m) => m.type === 'publication'))['data'], 'darn from the backend');

  assert.equal((await client.request({ type: 'subscribe', channel: 'chat:broken' }))['code'], 'internal');
  assert.equal((await client.request({ type: 'ping' })).type, 'reply');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /switchboard_logic_failures_total\{hook="onSubscribe",reason="threw"\} 1/);
  const logged = s
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['event'] === 'logic_failed');
  assert.equal(logged?.['hook'], 'onSubscribe');
  assert.equal(logged?.['reason'], 'threw');
});

for (const { name, source, expected } of [
  { name: 'a module that fails to import', source: 'export default {;', expected: /cannot import/ },
  { name: 'a default export of the wrong shape', source: 'export default 42;', expected: /expected a default export/ },
  { name: 'a hook that is not a function', source: 'export default { onPublish: 1 };', expected: /onPublish/ },
  { name: 'an unknown member', source: 'export default { onPublsh() {} };', expected: /onPublsh/ },
  {
    name: 'a bad method name',
    source: "export default { rpc: { 'bad name': () => undefined } };",
    expected: /bad name/,
  },
] as const) {
  test(`serve --logic refuses ${name} with exit code 2`, async (t) => {
    const file = await tempModule(t, source);
    const { child, err } = spawnServe(['--dev', '--port', '0', '--logic', file]);
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2, err());
    assert.match(err(), /switchboard serve: logic: /);
    assert.match(err(), expected);
  });
}

test('serve refuses a missing logic module with exit code 2', async (t) => {
  const { child, err } = spawnServe(['--dev', '--port', '0', '--logic', './no/such/module.mjs']);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(err(), /cannot import .*module\.mjs/);
});

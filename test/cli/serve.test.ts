// `switchboard serve` as a real process: prints where it listens, serves page + API + /ws, logs connections, drains on SIGTERM and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DEV_API_KEY } from '../../src/cli/config.ts';
import { openRaw } from '../helpers/realtime.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

function serve(args: string[]): Promise<Served> {
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not print its address within 30 s: ${out} ${err}`));
    }, 30_000);
    const onData = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+) \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/ws\)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ child, port: Number(m[1]), stdout: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out} ${err}`));
    });
  });
}

test('serve --dev: page, API, /ws, connection logs without the token, then SIGTERM drains with 1001 and exits 0', async (t) => {
  const s = await serve(['--dev', '--port', '0', '--log-level', 'info']);
  t.after(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${s.port}`;
  assert.equal((await fetch(`${base}/`)).status, 200);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /switchboard_connections/);
  const { token } = (await (
    await fetch(`${base}/api/dev-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"user":"alice"}',
    })
  ).json()) as { token: string };
  const client = await openRaw(t, `ws://127.0.0.1:${s.port}/ws?token=${token}`, { headers: { Origin: base } });
  assert.equal((await client.request({ type: 'connect' }))['user'], 'alice');
  await client.request({ type: 'subscribe', channel: 'chat:general' });
  const api = await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': DEV_API_KEY },
    body: JSON.stringify({ channel: 'chat:general', data: { text: 'from the API' } }),
  });
  assert.equal(api.status, 200);
  assert.deepEqual((await client.next((m) => m.type === 'publication'))['data'], { text: 'from the API' });

  s.child.kill('SIGTERM');
  const disconnect = await client.next((m) => m.type === 'disconnect', 10_000);
  assert.equal(disconnect['reconnect'], true);
  assert.equal((await client.waitClose(10_000)).code, 1001);
  assert.equal(await s.exited, 0);
  const lines = s
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const close = lines.find((l) => l['event'] === 'connection_close');
  assert.ok(lines.some((l) => l['event'] === 'connection_open'));
  assert.equal(close?.['code'], 1001);
  assert.equal(typeof close?.['durationMs'], 'number');
  assert.ok(lines.some((l) => l['event'] === 'stopped'));
  assert.ok(
    !s.stdout().includes(token.split('.')[2]!),
    'the token never reaches the log (docs/security-cases.md AU-10)',
  );
});

test('serve refuses a bad configuration with exit code 2 and names the field', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--dev', '--port', 'nope'], {
    env: { ...process.env, NODE_OPTIONS: '', ...documentsDirEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 2);
  assert.match(err, /port/);
});

test('serve reads connections on the net accept path by default, and acceptPath=http gives them all to node:http', async (t) => {
  const { connect } = await import('node:net');
  // 201 header lines: node:http takes them, the engine's parser answers 431 (its limit is 200) before routing.
  const many = Array.from({ length: 201 }, (_, i) => `X-${i}: v\r\n`).join('');
  const statusOf = (port: number, request: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) {
          socket.destroy();
          resolve(got.slice(9, 12));
        }
      });
      socket.on('error', reject);
    });
  for (const [args, flooded] of [
    [[], '431'],
    [['--set', 'acceptPath=http'], '200'],
  ] as const) {
    const s = await serve(['--dev', '--port', '0', '--log-level', 'silent', ...args]);
    t.after(() => {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    });
    // Plain HTTP reaches the routes on both paths, a keep-alive second request included.
    assert.equal(await statusOf(s.port, 'GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), '200');
    assert.equal(await statusOf(s.port, `GET /health HTTP/1.1\r\nHost: a\r\n${many}\r\n`), flooded, args.join(' '));
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }
});

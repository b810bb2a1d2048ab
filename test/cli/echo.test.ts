// Tests of src/cli/echo.ts: the echo server as a process: banner, echo, SIGTERM -> 1001 and exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, HandshakeError, type WebSocketCloseEvent } from '../../src/engine/index.ts';
import { nextEvent } from '../helpers/engine-fixtures.ts';
import { spawnEcho } from '../helpers/cli-fixtures.ts';

test('echo prints "listening on ws://H:P/" and echoes text as text, binary as binary', async (t) => {
  const { url } = await spawnEcho(t);
  const ws = await connect(url);
  let next = nextEvent<{ data: unknown }>(ws, 'message');
  ws.send('hi there');
  assert.equal((await next).data, 'hi there');
  next = nextEvent<{ data: unknown }>(ws, 'message');
  ws.send(Buffer.from([0xde, 0xad]));
  assert.deepEqual((await next).data, Buffer.from([0xde, 0xad]));
  ws.close();
});

test('echo --path serves only that path; the banner shows it', async (t) => {
  const { url } = await spawnEcho(t, ['--path', '/echo']);
  assert.match(url, /\/echo$/);
  const ws = await connect(url);
  ws.close();
  await assert.rejects(
    connect(url.replace(/\/echo$/, '/other')),
    (err: unknown) => err instanceof HandshakeError && err.status === 404,
  );
});

test('SIGTERM closes every connection with 1001 and exits 0 (SD-01)', async (t) => {
  const { child, url, exited } = await spawnEcho(t);
  const ws = await connect(url);
  const closed = nextEvent<WebSocketCloseEvent>(ws, 'close', 10_000);
  child.kill('SIGTERM');
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [1001, true]);
  assert.equal(await exited, 0);
});

test('echo rejects a bad port with exit 2', async () => {
  const child = spawn(process.execPath, ['bin/switchboard.js', 'echo', '--port', 'x'], { stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 2);
});

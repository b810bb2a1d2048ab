// Tests of src/engine/direct-write.ts: the private net.Socket path is ON for real TCP sockets on this Node, OFF for
// other streams, and SWITCHBOARD_STREAM_WRITES=1 turns it off (the engine suite runs both ways: npm run test:engine-stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import { connect, WebSocketServer, type WebSocket } from '../../src/engine/index.ts';
import { STREAM_WRITES_ENV, directWritesEnabled, supportsDirectWrite } from '../../src/engine/direct-write.ts';
import { kAdapter } from '../../src/engine/websocket.ts';
import { nextConnection, waitFor } from '../helpers/engine-fixtures.ts';

const STREAM_FORCED = process.env[STREAM_WRITES_ENV] === '1';

/** A connected pair of real TCP sockets on loopback. */
async function tcpPair(t: { after(fn: () => unknown): void }): Promise<{ client: net.Socket; server: net.Socket }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { client, server };
}

test(`the probe accepts a real TCP socket on Node ${process.versions.node} (unless ${STREAM_WRITES_ENV}=1)`, async (t) => {
  const { server } = await tcpPair(t);
  assert.equal(supportsDirectWrite(server), !STREAM_FORCED);
  assert.equal(directWritesEnabled, !STREAM_FORCED);
});

test('the probe refuses streams that are not plain TCP sockets: TLS and in-memory Duplex keep the stream path', () => {
  assert.equal(supportsDirectWrite(new PassThrough()), false);
  assert.equal(supportsDirectWrite(new tls.TLSSocket(new net.Socket())), false);
});

test(`${STREAM_WRITES_ENV}=1 turns the direct path off in a fresh process, for real TCP sockets too`, () => {
  const script = `
    import net from 'node:net';
    import { supportsDirectWrite } from './src/engine/direct-write.ts';
    const l = net.createServer((s) => { process.stdout.write(String(supportsDirectWrite(s))); s.destroy(); l.close(); c.destroy(); });
    let c;
    l.listen(0, '127.0.0.1', () => { c = net.connect(l.address().port, '127.0.0.1'); c.on('error', () => {}); });
  `;
  const run = (env: NodeJS.ProcessEnv): string =>
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
      timeout: 20_000,
    });
  const without = { ...process.env };
  delete without[STREAM_WRITES_ENV];
  assert.equal(run(without), 'true');
  assert.equal(run({ ...process.env, [STREAM_WRITES_ENV]: '1' }), 'false');
});

test('a server WebSocket on a real TCP socket writes below the stream: socket.write is never called for its frames', async (t) => {
  const wss = new WebSocketServer({ noServer: true, pingIntervalMs: 0 });
  let streamWrites = 0;
  let counting = false;
  const httpServer = http.createServer();
  httpServer.on('upgrade', (req, socket: net.Socket, head) => {
    const write = socket.write;
    socket.write = function (this: net.Socket, ...args: unknown[]) {
      if (counting) streamWrites++;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof socket.write;
    wss.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await wss.close({ timeoutMs: 100 });
    httpServer.close();
  });
  const conn = nextConnection(wss);
  const client = await connect(`ws://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}/`);
  t.after(() => client.terminate());
  const server: WebSocket = await conn;
  assert.equal(server[kAdapter]()!.binding.directWrites, !STREAM_FORCED);
  const received: string[] = [];
  client.onmessage = (e) => void received.push(e.data as string);
  counting = true;
  for (let i = 0; i < 20; i++) {
    server.send(`m${i}`);
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => received.length === 20, 'the messages');
  counting = false;
  assert.deepEqual(
    received,
    Array.from({ length: 20 }, (_, i) => `m${i}`),
  );
  if (STREAM_FORCED) assert.ok(streamWrites >= 20, `the stream path wrote each tick (${streamWrites})`);
  else assert.equal(streamWrites, 0, 'every frame went to libuv directly');
});

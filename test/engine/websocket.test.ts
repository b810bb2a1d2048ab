// Tests of src/engine/websocket.ts: WHATWG shape, close handshake, async iteration, binaryType.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  connect,
  createWebSocket,
  WebSocketServer,
  type WebSocket,
  type WebSocketCloseEvent,
} from '../../src/engine/index.ts';
import { RawClient, frames } from '../helpers/raw.ts';
import {
  FakeSocket,
  fakeUpgradeRequest,
  nextConnection,
  nextEvent,
  sleep,
  startServer,
  waitFor,
} from '../helpers/engine-fixtures.ts';

test('server-initiated close: both sides see the code and a clean close; the server ends TCP (RFC 6455 §7.1.1)', async (t) => {
  const { wss, url } = await startServer(t);
  const conn = nextConnection(wss);
  const client = await connect(url);
  const server = await conn;
  const clientClosed = nextEvent<WebSocketCloseEvent>(client, 'close');
  const serverClosed = nextEvent<WebSocketCloseEvent>(server, 'close');
  server.close(4000, 'bye now');
  assert.equal(server.readyState, server.CLOSING);
  assert.equal(server.send('ignored after close'), false);
  const c = await clientClosed;
  assert.deepEqual([c.code, c.reason, c.wasClean], [4000, 'bye now', true]);
  const s = await serverClosed;
  assert.deepEqual([s.code, s.wasClean], [4000, true]);
  assert.equal(server.readyState, server.CLOSED);
  assert.equal(client.readyState, client.CLOSED);
});

test('client-initiated close: the server echoes the code (RFC 6455 §5.5.1) and both close cleanly', async (t) => {
  const { wss, url } = await startServer(t);
  const conn = nextConnection(wss);
  const client = await connect(url);
  const server = await conn;
  const serverClosed = nextEvent<WebSocketCloseEvent>(server, 'close');
  const clientClosed = nextEvent<WebSocketCloseEvent>(client, 'close');
  client.close(1000, 'done');
  const s = await serverClosed;
  assert.deepEqual([s.code, s.reason, s.wasClean], [1000, 'done', true]);
  const c = await clientClosed;
  assert.deepEqual([c.code, c.wasClean], [1000, true]);
});

test('server ends TCP after the peer answers its Close (RFC 6455 §7.1.1)', async (t) => {
  const { wss, port } = await startServer(t);
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  server.close(1000);
  const info = await raw.readClose();
  assert.equal(info.code, 1000);
  assert.equal(await raw.finishClose(), true);
});

test('close timeout: a peer that never answers the Close is destroyed, close code 1006 locally', async (t) => {
  const { wss, port } = await startServer(t, { closeTimeoutMs: 150 });
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const closed = nextEvent<WebSocketCloseEvent>(server, 'close');
  server.close(1000);
  await raw.readClose();
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
  assert.equal(await raw.waitClosed(), true);
});

test('a protocol error fails the connection: error event, then close with the code sent (RFC 6455 §5.1)', async (t) => {
  const { wss, port } = await startServer(t);
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const error = nextEvent<{ error: Error }>(server, 'error');
  const closed = nextEvent<WebSocketCloseEvent>(server, 'close');
  await raw.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked client frame
  const info = await raw.readClose();
  assert.equal(info.code, 1002);
  assert.equal((await error).error.name, 'ProtocolError');
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [1002, false]);
});

test('TCP loss without a Close gives 1006, not clean', async (t) => {
  const { wss, port } = await startServer(t);
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const closed = nextEvent<WebSocketCloseEvent>(server, 'close');
  raw.reset();
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
});

test('messages after close() was called are not delivered (WHATWG)', async (t) => {
  const { wss, port } = await startServer(t);
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const got: unknown[] = [];
  server.onmessage = (e) => {
    got.push(e.data);
    server.close(1000);
  };
  await raw.write(Buffer.concat([frames.text('one'), frames.text('two')]));
  await raw.readClose();
  assert.deepEqual(got, ['one']);
});

test('async iteration yields text as strings and binary as Buffers until the close', async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('a');
    ws.send(Buffer.from([1]));
    ws.send('c');
    ws.close(1000);
  });
  const client = await connect(url);
  const seen: Array<string | Buffer> = [];
  for await (const m of client) seen.push(m);
  assert.deepEqual(seen, ['a', Buffer.from([1]), 'c']);
});

test('breaking out of the iteration leaves the connection open', async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('first');
    ws.onmessage = (e) => ws.send(e.data as string);
  });
  const client = await connect(url);
  for await (const m of client) {
    assert.equal(m, 'first');
    break;
  }
  assert.equal(client.readyState, client.OPEN);
  const next = nextEvent<{ data: string }>(client, 'message');
  client.send('still here');
  assert.equal((await next).data, 'still here');
  client.close();
});

test('an iterator that is not consumed pauses the socket; consuming resumes it (bounded buffering)', async (t) => {
  const wss = new WebSocketServer({ noServer: true, pingIntervalMs: 0 });
  t.after(() => wss.close({ timeoutMs: 50 }));
  const socket = new FakeSocket();
  const conn = nextConnection(wss);
  wss.handleUpgrade(fakeUpgradeRequest(randomBytes(16).toString('base64')), socket as never, Buffer.alloc(0));
  const ws = await conn;
  t.after(() => ws.terminate());
  const it = ws[Symbol.asyncIterator]();
  socket.feed(Buffer.concat(Array.from({ length: 200 }, (_, i) => frames.text(`m${i}`))));
  await waitFor(() => socket.isPaused(), 'socket paused by the iterator');
  for (let i = 0; i < 200; i++) {
    const r = await it.next();
    assert.equal(r.value, `m${i}`);
  }
  assert.equal(socket.isPaused(), false);
});

test("binaryType 'arraybuffer' and 'blob'", async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => ws.send(e.data as Buffer);
  });
  const client = await connect(url);
  client.binaryType = 'arraybuffer';
  let next = nextEvent<{ data: unknown }>(client, 'message');
  client.send(new Uint8Array([1, 2, 3]));
  const ab = (await next).data;
  assert.ok(ab instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(ab)], [1, 2, 3]);
  client.binaryType = 'blob';
  next = nextEvent<{ data: unknown }>(client, 'message');
  client.send(new Uint16Array([0x0201]).buffer);
  const blob = (await next).data;
  assert.ok(blob instanceof Blob);
  assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [1, 2]);
  client.close();
});

test('a Buffer sent twice by a client arrives intact both times (the client never masks caller bytes)', async (t) => {
  const { wss, url } = await startServer(t);
  const got: Buffer[] = [];
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => got.push(e.data as Buffer);
  });
  const client = await connect(url);
  const payload = Buffer.from('same bytes');
  client.send(payload);
  client.send(payload);
  await waitFor(() => got.length === 2, 'two messages');
  assert.equal(payload.toString(), 'same bytes');
  assert.deepEqual(got.map(String), ['same bytes', 'same bytes']);
  client.close();
});

test('addEventListener: dedupe, once, handleEvent objects, removeEventListener', async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('1');
    ws.send('2');
  });
  const client = await connect(url);
  const calls: string[] = [];
  const fn = (e: { data: unknown }): void => void calls.push(`fn:${String(e.data)}`);
  client.addEventListener('message', fn);
  client.addEventListener('message', fn);
  client.addEventListener('message', (e) => void calls.push(`once:${String(e.data)}`), { once: true });
  const obj = { handleEvent: (e: { data: unknown }) => void calls.push(`obj:${String(e.data)}`) };
  client.addEventListener('message', obj);
  client.onmessage = (e) => void calls.push(`on:${String(e.data)}`);
  await waitFor(() => calls.length >= 7, 'seven calls');
  client.removeEventListener('message', fn);
  assert.deepEqual(calls, ['on:1', 'fn:1', 'once:1', 'obj:1', 'on:2', 'fn:2', 'obj:2']);
  client.close();
});

test('createWebSocket: CONNECTING, send throws InvalidStateError, then open', async (t) => {
  const { url } = await startServer(t);
  const ws = createWebSocket(url);
  assert.equal(ws.readyState, ws.CONNECTING);
  assert.throws(
    () => ws.send('early'),
    (err: unknown) => err instanceof DOMException && err.name === 'InvalidStateError',
  );
  await nextEvent(ws, 'open');
  assert.equal(ws.readyState, ws.OPEN);
  ws.close();
});

test('close() while CONNECTING fails the attempt: error, then close 1006 (WHATWG)', async (t) => {
  const { url } = await startServer(t, { accept: () => new Promise((r) => setTimeout(r, 200)) });
  const ws = createWebSocket(url);
  const events: string[] = [];
  ws.onerror = () => events.push('error');
  ws.onclose = (e) => events.push(`close:${e.code}`);
  ws.close();
  await waitFor(() => events.length === 2, 'error and close');
  assert.deepEqual(events, ['error', 'close:1006']);
  assert.equal(ws.readyState, ws.CLOSED);
});

test('close() validates the code and reason like the core (RangeError)', async (t) => {
  const { url } = await startServer(t);
  const ws = await connect(url);
  assert.throws(() => ws.close(1005), RangeError);
  assert.throws(() => ws.close(1000, 'x'.repeat(124)), RangeError);
  assert.equal(ws.readyState, ws.OPEN);
  ws.close(1000);
});

test('terminate() closes at once with 1006', async (t) => {
  const { url } = await startServer(t);
  const ws = await connect(url);
  const closed = nextEvent<WebSocketCloseEvent>(ws, 'close');
  ws.terminate();
  assert.equal((await closed).code, 1006);
});

test('messages sent right after the handshake reach handlers set after `await connect()`', async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => ws.send('welcome'));
  for (let i = 0; i < 5; i++) {
    const client: WebSocket = await connect(url);
    const got = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no welcome')), 2_000);
      client.onmessage = (e) => {
        clearTimeout(timer);
        resolve(e.data as string);
      };
    });
    assert.equal(got, 'welcome');
    client.close();
  }
  await sleep(10);
});

test('a received text sent on (echo, relay, inside a listener, later) arrives identical; other strings are encoded themselves', async (t) => {
  const { wss, url } = await startServer(t);
  const conns: WebSocket[] = [];
  wss.on('connection', (ws: WebSocket) => conns.push(ws));
  const a = await connect(url);
  const b = await connect(url);
  await waitFor(() => conns.length === 2, 'two connections');
  const [sa, sb] = conns as [WebSocket, WebSocket];
  let kept = '';
  sa.onmessage = (e) => {
    const text = e.data as string;
    sa.send(text); // echo: the received bytes are reused
    sb.send(text); // relay to another connection
    sa.send(`${text.slice(0, -1)}!`); // same length, other content: encoded on its own
    kept = text;
  };
  sb.addEventListener('message', (e) => sb.send(e.data as string)); // listener path
  const fromA: string[] = [];
  const fromB: string[] = [];
  a.onmessage = (e) => fromA.push(e.data as string);
  b.onmessage = (e) => fromB.push(e.data as string);
  const texts = ['héllo wörld 👋 '.repeat(300), 'x', 'ascii only'];
  for (const text of texts) a.send(text);
  b.send('from b ✓');
  await waitFor(() => fromA.length === 6 && fromB.length === 4, 'all echoes');
  assert.deepEqual(
    fromA,
    texts.flatMap((x) => [x, `${x.slice(0, -1)}!`]),
  );
  assert.deepEqual(
    fromB.filter((x) => x !== 'from b ✓'),
    texts,
  );
  assert.ok(fromB.includes('from b ✓'));
  sa.send(kept); // after the handler returned: encoded from the string again
  await waitFor(() => fromA.length === 7, 'the late send');
  assert.equal(fromA[6], texts[2]);
});

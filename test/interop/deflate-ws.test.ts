// Interop (docs/security-cases.md PD-11): permessage-deflate between Switchboard and ws, both directions, all four parameters.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WsWebSocket, { WebSocketServer as WsServer } from 'ws';
import {
  connect,
  WebSocketServer,
  type WebSocket,
  type PerMessageDeflateServerOptions,
} from '../../src/engine/index.ts';
import { Inbox } from '../helpers/inbox.ts';

interface Msg {
  data: Buffer;
  binary: boolean;
}

const MESSAGES: Array<[string, string | Buffer]> = [
  ['small text', 'hello κόσμε'],
  ['empty', ''],
  ['1023 bytes', 'a'.repeat(1023)],
  ['above threshold', 'json '.repeat(400)],
  ['binary', randomBytes(5000)],
  ['4 MiB', randomBytes(2 * 1024 * 1024).toString('hex')],
  ['repeat (context)', 'json '.repeat(400)],
];

/** Our echo server with `option`; returns its URL. */
async function ourEcho(
  t: TestContext,
  option: boolean | PerMessageDeflateServerOptions,
): Promise<{ url: string; sockets: WebSocket[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', pingIntervalMs: 0, perMessageDeflate: option });
  const { port } = await wss.listen();
  t.after(() => wss.close({ timeoutMs: 200 }));
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws: WebSocket) => {
    sockets.push(ws);
    ws.onmessage = (e) => ws.send(e.data as string | Buffer);
  });
  return { url: `ws://127.0.0.1:${port}/`, sockets };
}

async function wsClient(
  t: TestContext,
  url: string,
  perMessageDeflate: boolean | object,
): Promise<{ ws: WsWebSocket; inbox: Inbox<Msg> }> {
  const ws = new WsWebSocket(url, { perMessageDeflate, maxPayload: 64 * 1024 * 1024 });
  t.after(() => ws.terminate());
  const inbox = new Inbox<Msg>();
  ws.on('message', (data, binary) => inbox.push({ data: Buffer.from(data as Buffer), binary }));
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  return { ws, inbox };
}

const SERVER_VARIANTS: Array<[string, boolean | PerMessageDeflateServerOptions, boolean | object, RegExp]> = [
  ['defaults', true, true, /^permessage-deflate(; client_max_window_bits=15)?$/],
  ['server_no_context_takeover', { serverNoContextTakeover: true }, true, /server_no_context_takeover/],
  ['client_no_context_takeover', { clientNoContextTakeover: true }, true, /client_no_context_takeover/],
  [
    'both window bits',
    { serverMaxWindowBits: 10, clientMaxWindowBits: 11 },
    true,
    /server_max_window_bits=10.*client_max_window_bits=11/,
  ],
  [
    'ws asks for no context takeover and small windows',
    true,
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    /server_no_context_takeover/,
  ],
  ['threshold 0', { threshold: 0 }, { threshold: 0 }, /permessage-deflate/],
];

for (const [name, ours, theirs, header] of SERVER_VARIANTS) {
  test(`interop: ws client (perMessageDeflate) -> Switchboard server, ${name}: byte-exact echo (PD-11)`, async (t) => {
    const { url, sockets } = await ourEcho(t, ours);
    const { ws, inbox } = await wsClient(t, url, theirs);
    assert.equal(ws.extensions, 'permessage-deflate');
    assert.match(sockets[0]!.extensions, header);
    for (const [label, m] of MESSAGES) {
      const binary = Buffer.isBuffer(m);
      ws.send(m, { binary });
      const got = await inbox.next(15_000, label);
      assert.equal(got.binary, binary, label);
      assert.ok(got.data.equals(Buffer.from(m)), `${label}: echo differs`);
    }
    // A fragmented compressed message from ws (RSV1 on the first frame only).
    const parts = ['first part '.repeat(200), 'second part '.repeat(200), 'end'];
    parts.forEach((p, i) => {
      ws.send(p, { fin: i === parts.length - 1, compress: true });
    });
    assert.equal((await inbox.next(10_000, 'fragmented')).data.toString(), parts.join(''));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.close(1000);
    assert.equal(await closed, 1000);
  });
}

/** A ws echo server with `perMessageDeflate`. */
async function wsEcho(t: TestContext, perMessageDeflate: boolean | object): Promise<string> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data as Buffer, { binary })));
  t.after(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

const CLIENT_VARIANTS: Array<[string, object | boolean, Parameters<typeof connect>[1], RegExp]> = [
  ['defaults', true, { perMessageDeflate: true }, /^permessage-deflate/],
  [
    'ws imposes no context takeover and windows',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 10 },
    { perMessageDeflate: true },
    /client_max_window_bits=10/,
  ],
  [
    'we ask for no context takeover and windows',
    true,
    {
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 12,
        clientMaxWindowBits: 12,
      },
    },
    /server_max_window_bits=12/,
  ],
  ['ws threshold 0, ours 0', { threshold: 0 }, { perMessageDeflate: { threshold: 0 } }, /permessage-deflate/],
];

for (const [name, theirs, ours, header] of CLIENT_VARIANTS) {
  test(`interop: Switchboard client (perMessageDeflate) -> ws server, ${name}: byte-exact echo (PD-11)`, async (t) => {
    const url = await wsEcho(t, theirs);
    const ws = await connect(url, { ...ours, maxMessageSize: 64 * 1024 * 1024 });
    t.after(() => ws.terminate());
    assert.match(ws.extensions, header);
    const inbox = new Inbox<unknown>();
    ws.onmessage = (e) => inbox.push(e.data);
    for (const [label, m] of MESSAGES) {
      ws.send(m);
      const got = await inbox.next(15_000, label);
      if (Buffer.isBuffer(m)) assert.ok(Buffer.isBuffer(got) && got.equals(m), label);
      else assert.equal(got, m, label);
    }
    const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
    ws.close(1000);
    assert.equal(await closed, 1000);
  });
}

test('interop: ws server sends fragmented compressed messages to the Switchboard client', async (t) => {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const parts = ['alpha '.repeat(300), 'beta '.repeat(300), 'gamma'];
  wss.on('connection', (ws) => {
    parts.forEach((p, i) => {
      ws.send(p, { fin: i === parts.length - 1, compress: true });
    });
  });
  t.after(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  const ws = await connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: true });
  t.after(() => ws.terminate());
  const got = await new Promise<unknown>((r) => (ws.onmessage = (e) => r(e.data)));
  assert.equal(got, parts.join(''));
});

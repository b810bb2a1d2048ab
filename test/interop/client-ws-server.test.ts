// Interop: Switchboard's client (engine connect()) with the `ws` server (sizes, server-sent fragments, ping/pong, close both ways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type WebSocket } from '../../src/engine/index.ts';
import { startEcho } from '../helpers/echo-server.ts';
import { Inbox, INTEROP_SIZES } from '../helpers/inbox.ts';
import { pattern } from '../helpers/python.ts';

interface Msg {
  data: Buffer;
  binary: boolean;
}

async function open(url: string) {
  const ws = await connect(url);
  const inbox = new Inbox<Msg>();
  ws.addEventListener('message', (e) => {
    const d = e.data as unknown;
    inbox.push(
      typeof d === 'string'
        ? { data: Buffer.from(d), binary: false }
        : { data: Buffer.from(d as Buffer), binary: true },
    );
  });
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })),
  );
  return { ws, inbox, closed };
}

test('interop: Switchboard client -> ws server', async (t) => {
  const server = await startEcho('ws');
  t.after(() => server.stop());
  const { ws, inbox } = await open(server.url);
  t.after(() => ws.terminate());
  const sendEcho = async (data: string | Buffer, binary: boolean, sock: WebSocket = ws, box: Inbox<Msg> = inbox) => {
    sock.send(data);
    const m = await box.next(15_000, 'echo');
    assert.equal(m.binary, binary, 'message type preserved');
    assert.ok(m.data.equals(Buffer.from(data)), `echo of ${Buffer.byteLength(data)} bytes differs`);
  };

  await t.test('text', () => sendEcho('hello κόσμε 😀', false));
  await t.test('binary', () => sendEcho(Buffer.from([0, 1, 2, 0xff]), true));
  await t.test('empty text', () => sendEcho('', false));
  await t.test('empty binary', () => sendEcho(Buffer.alloc(0), true));
  for (const size of INTEROP_SIZES) {
    await t.test(`binary ${size} bytes`, () => sendEcho(pattern(size, true), true));
    await t.test(`text ${size} bytes`, () => sendEcho(pattern(size, false).toString('latin1'), false));
  }
  await t.test('fragmented text from the server (5 frames)', async () => {
    ws.send('__cmd:frag:5:fragmented-by-ws');
    const m = await inbox.next(5_000, 'fragmented message');
    assert.deepEqual({ binary: m.binary, text: m.data.toString() }, { binary: false, text: 'fragmented-by-ws' });
  });
  await t.test('fragmented binary from the server (64 frames, 70 000 bytes)', async () => {
    ws.send('__cmd:fragbin:64:70000');
    const m = await inbox.next(5_000, 'fragmented message');
    assert.ok(m.binary && m.data.equals(pattern(70_000, true)));
  });
  await t.test('client ping -> server pong (ping() resolves with an RTT)', async () => {
    const rtt = await ws.ping(Buffer.from('client-ping'));
    assert.ok(typeof rtt === 'number' && rtt >= 0);
  });
  await t.test('server ping -> client pong', async () => {
    ws.send('__cmd:ping:srv');
    assert.equal((await inbox.next(5_000, 'pong report')).data.toString(), '__pong:srv');
  });
  await t.test('close from the client: code and reason reach the server, clean close', async () => {
    const c = await open(server.url);
    const before = server.closes.length;
    c.ws.close(4000, 'client reason κ');
    const closed = await c.closed;
    assert.deepEqual({ code: closed.code, wasClean: closed.wasClean }, { code: 4000, wasClean: true });
    const seen = await server.waitCloses(before + 1);
    assert.deepEqual(
      { code: seen[before]!.code, reason: seen[before]!.reason },
      { code: 4000, reason: 'client reason κ' },
    );
  });
  await t.test('close from the server: code and reason reach the client', async () => {
    const c = await open(server.url);
    c.ws.send('__cmd:close:4001:server reason κ');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'server reason κ', wasClean: true });
  });
});

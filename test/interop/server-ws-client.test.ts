// Interop: Switchboard's server with the `ws` client (messages of every size class, fragments, ping/pong, close both ways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startEcho } from '../helpers/echo-server.ts';
import { Inbox, INTEROP_SIZES } from '../helpers/inbox.ts';
import { pattern } from '../helpers/python.ts';

interface Msg {
  data: Buffer;
  binary: boolean;
}

async function open(
  url: string,
): Promise<{ ws: WebSocket; inbox: Inbox<Msg>; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  const inbox = new Inbox<Msg>();
  ws.on('message', (data, binary) =>
    inbox.push({ data: Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), binary }),
  );
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  return { ws, inbox, closed };
}

test('interop: ws client -> Switchboard server', async (t) => {
  const server = await startEcho('switchboard');
  t.after(() => server.stop());
  const { ws, inbox } = await open(server.url);
  t.after(() => ws.terminate());

  const echo = async (data: string | Buffer, binary: boolean) => {
    ws.send(data, { binary });
    const m = await inbox.next(15_000, 'echo');
    assert.equal(m.binary, binary, 'message type preserved');
    assert.ok(m.data.equals(Buffer.from(data)), `echo of ${Buffer.byteLength(data)} bytes differs`);
  };

  await t.test('text', () => echo('hello κόσμε 😀', false));
  await t.test('binary', () => echo(Buffer.from([0, 1, 2, 0xff, 0xfe]), true));
  await t.test('empty text', () => echo('', false));
  await t.test('empty binary', () => echo(Buffer.alloc(0), true));
  for (const size of INTEROP_SIZES) {
    await t.test(`binary ${size} bytes`, () => echo(pattern(size, true), true));
    await t.test(`text ${size} bytes`, () => echo(pattern(size, false).toString('latin1'), false));
  }
  await t.test('fragmented text from the client (3 frames, split inside a code point)', async () => {
    const whole = Buffer.from('frag-κόσμε-end');
    ws.send(whole.subarray(0, 7), { fin: false, binary: false });
    ws.send(whole.subarray(7, 12), { fin: false });
    ws.send(whole.subarray(12), { fin: true });
    const m = await inbox.next(5_000, 'fragmented echo');
    assert.equal(m.binary, false);
    assert.equal(m.data.toString(), 'frag-κόσμε-end');
  });
  await t.test('fragmented binary from the client (100 frames)', async () => {
    const whole = pattern(100_000, true);
    for (let i = 0; i < 100; i++) ws.send(whole.subarray(i * 1000, (i + 1) * 1000), { binary: true, fin: i === 99 });
    const m = await inbox.next(5_000, 'fragmented echo');
    assert.ok(m.binary && m.data.equals(whole));
  });
  await t.test('client ping -> server pong with the same payload', async () => {
    const pong = new Promise<Buffer>((r) => ws.once('pong', r));
    ws.ping(Buffer.from('ping-payload'));
    assert.equal((await pong).toString(), 'ping-payload');
  });
  await t.test('server ping -> client pong (ping() resolves)', async () => {
    ws.send('__cmd:ping:srv');
    assert.equal((await inbox.next(5_000, 'pong report')).data.toString(), '__pong:srv');
  });
  await t.test('close from the client: code and reason reach the server, the echo reaches the client', async () => {
    const c = await open(server.url);
    const before = server.closes.length;
    c.ws.close(4000, 'client reason κ');
    const closed = await c.closed;
    assert.equal(closed.code, 4000);
    const seen = await server.waitCloses(before + 1);
    assert.deepEqual(
      { code: seen[before]!.code, reason: seen[before]!.reason },
      { code: 4000, reason: 'client reason κ' },
    );
  });
  await t.test('close from the server: code and reason reach the client', async () => {
    const c = await open(server.url);
    c.ws.send('__cmd:close:4001:server reason κ');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'server reason κ' });
  });
  await t.test('close 1000 without reason from the client', async () => {
    const c = await open(server.url);
    c.ws.close(1000);
    assert.equal((await c.closed).code, 1000);
  });
});

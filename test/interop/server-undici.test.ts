// Interop: Switchboard's server with undici's WHATWG `WebSocket` client (sizes, empty, server ping, close both ways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'undici';
import { startEcho } from '../helpers/echo-server.ts';
import { Inbox, INTEROP_SIZES } from '../helpers/inbox.ts';
import { pattern } from '../helpers/python.ts';

interface Msg {
  data: Buffer;
  binary: boolean;
}

async function open(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const inbox = new Inbox<Msg>();
  ws.addEventListener('message', (e) => {
    const d = e.data as string | ArrayBuffer;
    inbox.push(
      typeof d === 'string' ? { data: Buffer.from(d), binary: false } : { data: Buffer.from(d), binary: true },
    );
  });
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener(
      'error',
      (e) => reject(new Error(`undici error: ${String((e as { message?: string }).message)}`)),
      { once: true },
    );
  });
  return { ws, inbox, closed };
}

test('interop: undici WebSocket -> Switchboard server', async (t) => {
  const server = await startEcho('switchboard');
  t.after(() => server.stop());
  const { ws, inbox } = await open(server.url);
  t.after(() => ws.close());

  const echo = async (data: string | Buffer, binary: boolean) => {
    ws.send(binary ? new Uint8Array(data as Buffer) : (data as string));
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
  await t.test('server ping -> client pong (ping() resolves)', async () => {
    ws.send('__cmd:ping:srv');
    assert.equal((await inbox.next(5_000, 'pong report')).data.toString(), '__pong:srv');
  });
  await t.test('close from the client: code and reason reach the server, clean close on the client', async () => {
    const c = await open(server.url);
    const before = server.closes.length;
    c.ws.close(4000, 'client reason κ');
    const closed = await c.closed;
    assert.equal(closed.code, 4000);
    assert.equal(closed.wasClean, true);
    const seen = await server.waitCloses(before + 1);
    assert.deepEqual(
      { code: seen[before]!.code, reason: seen[before]!.reason },
      { code: 4000, reason: 'client reason κ' },
    );
  });
  await t.test('close from the server: code and reason reach the client', async () => {
    const c = await open(server.url);
    c.ws.send('__cmd:close:4001:server reason κ');
    const closed = await c.closed;
    assert.deepEqual(
      { code: closed.code, reason: closed.reason, wasClean: closed.wasClean },
      { code: 4001, reason: 'server reason κ', wasClean: true },
    );
  });
});

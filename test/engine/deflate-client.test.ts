// permessage-deflate in the client role and end to end (our client, our server): CLT-04 bomb, order, context takeover, broadcast.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { connect, type WebSocket, type WebSocketCloseEvent } from '../../src/engine/index.ts';
import { RawClient, acceptFor, frame } from '../helpers/raw.ts';
import { nextConnection, nextEvent, startServer } from '../helpers/engine-fixtures.ts';
import { Inflater, zeroBomb } from '../helpers/deflate.ts';
import { MiB } from '../helpers/memory.ts';

/** A fake server that accepts permessage-deflate with `answer` and then runs `script`. */
async function fakeServer(
  t: TestContext,
  answer: string,
  script: (raw: RawClient) => Promise<void>,
): Promise<{ url: string; failures: unknown[] }> {
  const failures: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    const raw = new RawClient(socket, { peerMasks: true });
    void (async () => {
      const req = await raw.readHttpHead();
      const key = req.headers['sec-websocket-key'] ?? '';
      await raw.write(
        `${['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(key)}`, `Sec-WebSocket-Extensions: ${answer}`].join('\r\n')}\r\n\r\n`,
      );
      await script(raw);
    })().catch((err: unknown) => failures.push(err));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => srv.close(r));
  });
  return { url: `ws://127.0.0.1:${(srv.address() as AddressInfo).port}/`, failures };
}

test('client: a server bomb inflating to 1 GiB closes with 1009 at maxMessageSize, RSS bounded (docs/security-cases.md CLT-04)', async (t) => {
  const bomb = await zeroBomb(1024 * MiB);
  let wireCode = -1;
  const fake = await fakeServer(t, 'permessage-deflate', async (raw) => {
    await raw.write(frame({ opcode: 2, rsv1: true, mask: false, payload: bomb }));
    wireCode = (await raw.readClose(10_000)).code;
    raw.end();
  });
  const before = process.resourceUsage().maxRSS * 1024;
  const ws = await connect(fake.url, { perMessageDeflate: true, maxMessageSize: 4 * MiB });
  let messages = 0;
  ws.onmessage = () => messages++;
  const closed = await nextEvent<WebSocketCloseEvent>(ws, 'close', 10_000);
  assert.equal(closed.code, 1009);
  assert.equal(wireCode, 1009);
  assert.equal(messages, 0);
  const grew = process.resourceUsage().maxRSS * 1024 - before;
  assert.ok(grew < 96 * MiB, `peak RSS grew ${(grew / MiB).toFixed(1)} MiB`);
  assert.deepEqual(fake.failures, []);
});

test('client: RSV1 on a server continuation frame fails with 1002 (RFC 7692 §6.1)', async (t) => {
  let wireCode = -1;
  const fake = await fakeServer(t, 'permessage-deflate', async (raw) => {
    await raw.write(
      Buffer.concat([
        frame({ opcode: 1, rsv1: true, fin: false, mask: false, payload: Buffer.from('f248', 'hex') }),
        frame({ opcode: 0, rsv1: true, mask: false, payload: Buffer.from('cdc9c90700', 'hex') }),
      ]),
    );
    wireCode = (await raw.readClose(5_000)).code;
    raw.end();
  });
  const ws = await connect(fake.url, { perMessageDeflate: true });
  const closed = await nextEvent<WebSocketCloseEvent>(ws, 'close', 5_000);
  assert.equal(closed.code, 1002);
  assert.equal(wireCode, 1002);
});

test('client: corrupt compressed data from the server fails with 1007', async (t) => {
  let wireCode = -1;
  const fake = await fakeServer(t, 'permessage-deflate', async (raw) => {
    await raw.write(frame({ opcode: 1, rsv1: true, mask: false, payload: Buffer.from('0600', 'hex') }));
    wireCode = (await raw.readClose(5_000)).code;
    raw.end();
  });
  const ws = await connect(fake.url, { perMessageDeflate: true });
  const errors: unknown[] = [];
  ws.onerror = (e) => errors.push(e);
  const closed = await nextEvent<WebSocketCloseEvent>(ws, 'close', 5_000);
  assert.equal(closed.code, 1007);
  assert.equal(wireCode, 1007);
  assert.equal(errors.length, 1);
});

test('client: masked compressed frames, RSV1 only at or above the threshold, context kept unless client_no_context_takeover (RFC 7692 §7.1.1.2)', async (t) => {
  for (const noContext of [false, true]) {
    const seen: Array<{ rsv1: boolean; masked: boolean; text: string; size: number }> = [];
    const fake = await fakeServer(
      t,
      noContext ? 'permessage-deflate; client_no_context_takeover' : 'permessage-deflate',
      async (raw) => {
        const inflater = new Inflater({ fresh: noContext });
        for (let i = 0; i < 3; i++) {
          const f = await raw.readFrame();
          seen.push({
            rsv1: f.rsv1,
            masked: f.masked,
            text: (f.rsv1 ? await inflater.message(f.payload) : f.payload).toString(),
            size: f.payload.length,
          });
        }
        inflater.close();
      },
    );
    const ws = await connect(fake.url, { perMessageDeflate: { threshold: 100 } });
    const long = 'a message the client sends twice, long enough to be compressed '.repeat(3);
    ws.send('short');
    ws.send(long);
    ws.send(long);
    const deadline = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    ws.terminate();
    assert.deepEqual(
      seen.map((s) => [s.rsv1, s.masked, s.text]),
      [
        [false, true, 'short'],
        [true, true, long],
        [true, true, long],
      ],
    );
    if (noContext) assert.equal(seen[2]!.size, seen[1]!.size, 'compressed alone both times');
    else assert.ok(seen[2]!.size < seen[1]!.size / 4, 'the second copy refers to the first');
  }
});

async function pair(
  t: TestContext,
  serverOption: Parameters<typeof startServer>[1],
  clientOption: Parameters<typeof connect>[1],
): Promise<{ server: WebSocket; client: WebSocket; wss: Awaited<ReturnType<typeof startServer>>['wss']; url: string }> {
  const { wss, url } = await startServer(t, { pingIntervalMs: 0, ...serverOption });
  const accepted = nextConnection(wss);
  const client = await connect(url, clientOption);
  t.after(() => client.terminate());
  return { server: await accepted, client, wss, url };
}

function collect(ws: WebSocket): Array<string | Buffer> {
  const out: Array<string | Buffer> = [];
  ws.onmessage = (e) => out.push(e.data as string | Buffer);
  return out;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const [name, params] of [
  ['context takeover both ways', {}],
  ['no context takeover both ways', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
  ['small windows', { serverMaxWindowBits: 9, clientMaxWindowBits: 10 }],
] as const) {
  test(`our client <-> our server, ${name}: small, threshold, 4 MiB, binary, in order, then close after them`, async (t) => {
    const { server, client } = await pair(t, { perMessageDeflate: { ...params } }, { perMessageDeflate: true });
    assert.notEqual(client.extensions, '');
    const atServer = collect(server);
    const atClient = collect(client);
    const big = randomBytes(2 * MiB).toString('hex'); // 4 MiB of text
    const messages: Array<string | Buffer> = [
      'tiny',
      'x'.repeat(1023),
      'y'.repeat(1024),
      big,
      Buffer.from(randomBytes(3000)),
      'after the big one',
    ];
    for (const m of messages) client.send(m);
    await until(() => atServer.length === messages.length, 'messages at the server');
    for (const m of messages) server.send(m);
    const closed = nextEvent<WebSocketCloseEvent>(client, 'close', 10_000);
    server.close(1000, 'done'); // must follow every message above, compressed or not
    const e = await closed;
    assert.equal(e.code, 1000);
    assert.deepEqual(atServer, messages);
    assert.deepEqual(atClient, messages);
  });
}

test('bufferedAmount counts messages waiting for compression', async (t) => {
  const { server, client } = await pair(t, { perMessageDeflate: true }, { perMessageDeflate: true });
  const got = collect(client);
  server.send(randomBytes(MiB));
  assert.ok(server.bufferedAmount >= MiB, `bufferedAmount ${server.bufferedAmount}`);
  await until(() => got.length === 1, 'the message');
});

test('broadcast: compressed once per window size for no_context_takeover peers, per connection otherwise, plain for others; order kept', async (t) => {
  const { wss, url } = await startServer(t, { pingIntervalMs: 0, perMessageDeflate: true });
  const clients: WebSocket[] = [];
  const inboxes: Array<Array<string | Buffer>> = [];
  for (const option of [
    { serverNoContextTakeover: true },
    { serverNoContextTakeover: true },
    { serverNoContextTakeover: true, serverMaxWindowBits: 10 },
    true,
    false,
  ] as const) {
    const accepted = nextConnection(wss);
    const c = await connect(url, { perMessageDeflate: option });
    t.after(() => c.terminate());
    await accepted;
    clients.push(c);
    inboxes.push(collect(c));
  }
  const big = JSON.stringify({ event: 'news', body: 'breaking '.repeat(1000) });
  // A direct send still being compressed must not be overtaken by the broadcasts.
  const first = [...wss.clients][3]!;
  first.send('direct '.repeat(500));
  assert.equal(wss.broadcast(big), 5);
  assert.equal(wss.broadcast('small'), 5);
  assert.equal(wss.broadcast(Buffer.from(big)), 5);
  await until(() => inboxes.every((inbox, i) => inbox.length === (i === 3 ? 4 : 3)), 'broadcasts everywhere');
  for (const [i, inbox] of inboxes.entries()) {
    const expected = [big, 'small', Buffer.from(big)];
    assert.deepEqual(i === 3 ? inbox.slice(1) : inbox, expected, `client ${i}`);
    if (i === 3) assert.equal(inbox[0], 'direct '.repeat(500));
  }
});

test('graceful shutdown: the 1001 Close follows a message still being compressed', async (t) => {
  const { server, client, wss } = await pair(t, { perMessageDeflate: true }, { perMessageDeflate: true });
  const got = collect(client);
  const closed = nextEvent<WebSocketCloseEvent>(client, 'close', 10_000);
  const big = randomBytes(MiB).toString('hex');
  server.send(big);
  const stopping = wss.close({ timeoutMs: 5_000 });
  const e = await closed;
  await stopping;
  assert.equal(e.code, 1001);
  assert.deepEqual(got, [big]);
});

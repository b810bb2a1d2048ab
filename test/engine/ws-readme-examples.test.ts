// ws adapter: the server examples (and the client examples) of ws's README run unchanged but for the import, driven by the real `ws` client and by ours.
// The examples are plain JavaScript modules in ./ws-readme-examples/, as a ws user would have them; each file's
// first lines list its only changes (import, port 0, shorter timers, the export line for this test).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from '../../src/engine/ws-compat.ts';
import { selfSignedCert } from '../helpers/engine-fixtures.ts';
import { CLIENTS, MessageLog, nextEmit, openClient, until, type WsPeer } from '../helpers/ws-compat.ts';

/** Imports an example module. A computed specifier: the examples are JavaScript without type declarations. */
async function example(name: string): Promise<Record<string, unknown>> {
  const url = new URL(`./ws-readme-examples/${name}.js`, import.meta.url).href;
  return (await import(url)) as Record<string, unknown>;
}

/** The port of a listening adapter server or http.Server. */
async function portOf(server: WebSocketServer | http.Server): Promise<number> {
  const address = () => server.address() as { port: number } | null;
  if (address() === null) await nextEmit(server, 'listening');
  return address()!.port;
}

/** Closes a standalone adapter server after the test: its connections first (ws 8's close() leaves them open). */
function closeAfter(t: TestContext, wss: WebSocketServer): void {
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}

/** Closes an example's http(s).Server after the test; upgraded sockets are not its connections any more, so the adapters' go first. */
function closeHttpAfter(t: TestContext, server: http.Server, ...servers: WebSocketServer[]): void {
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const wss of servers) for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
}

/** Records console.log / console.error calls made by the example during the test. */
function captureConsole(t: TestContext): { logs: unknown[][]; errors: unknown[][] } {
  const logs: unknown[][] = [];
  const errors: unknown[][] = [];
  t.mock.method(console, 'log', (...args: unknown[]) => void logs.push(args));
  t.mock.method(console, 'error', (...args: unknown[]) => void errors.push(args));
  return { logs, errors };
}

test('README "Simple server": greets every client and logs what it receives (ws and switchboard/ws clients)', async (t) => {
  const { logs, errors } = captureConsole(t);
  const { wss } = (await example('simple-server')) as { wss: WebSocketServer };
  closeAfter(t, wss);
  const port = await portOf(wss);
  for (const kind of CLIENTS) {
    const { peer, log } = await openClient(t, kind, `ws://127.0.0.1:${port}`);
    const greeting = await log.next();
    assert.equal(greeting.data.toString(), 'something');
    assert.equal(greeting.isBinary, false, 'text arrives as text');
    peer.send(`hello from ${kind.name}`);
    await until(
      () => logs.some((args) => String(args[1]) === `hello from ${kind.name}`),
      `the log line for ${kind.name}`,
    );
    const line = logs.find((args) => String(args[1]) === `hello from ${kind.name}`)!;
    assert.equal(line[0], 'received: %s');
    assert.ok(Buffer.isBuffer(line[1]), 'text is delivered as a Buffer, as in ws 8');
  }
  assert.deepEqual(errors, []);
});

test('README "Server broadcast": every client, the sender included, gets each message with its type', async (t) => {
  const { errors } = captureConsole(t);
  const { wss } = (await example('broadcast-all')) as { wss: WebSocketServer };
  closeAfter(t, wss);
  const url = `ws://127.0.0.1:${await portOf(wss)}`;
  const peers = [];
  for (const kind of [...CLIENTS, ...CLIENTS]) peers.push(await openClient(t, kind, url));
  await until(() => wss.clients.size === 4, 'four clients');
  peers[0]!.peer.send('text from a ws client');
  peers[1]!.peer.send(Buffer.from([0, 1, 2, 255]));
  for (const { log } of peers) {
    const got = [await log.next(), await log.next()].sort((a, b) => Number(a.isBinary) - Number(b.isBinary));
    assert.equal(got[0]!.data.toString(), 'text from a ws client');
    assert.equal(got[0]!.isBinary, false);
    assert.deepEqual([...got[1]!.data], [0, 1, 2, 255]);
    assert.equal(got[1]!.isBinary, true);
  }
  assert.deepEqual(errors, []);
});

test('README "Server broadcast" to others: the sender does not get its own message', async (t) => {
  const { errors } = captureConsole(t);
  const { wss } = (await example('broadcast-others')) as { wss: WebSocketServer };
  closeAfter(t, wss);
  const url = `ws://127.0.0.1:${await portOf(wss)}`;
  const a = await openClient(t, CLIENTS[0]!, url);
  const b = await openClient(t, CLIENTS[1]!, url);
  const c = await openClient(t, CLIENTS[1]!, url);
  await until(() => wss.clients.size === 3, 'three clients');
  a.peer.send('from a');
  assert.equal((await b.log.next()).data.toString(), 'from a');
  assert.equal((await c.log.next()).data.toString(), 'from a');
  // Frames to one peer keep their order: had a received 'from a', it would come before 'from b'.
  b.peer.send('from b');
  assert.equal((await a.log.next()).data.toString(), 'from b');
  assert.equal((await c.log.next()).data.toString(), 'from b');
  assert.deepEqual(
    a.log.items.map((m) => m.data.toString()),
    ['from b'],
  );
  assert.deepEqual(
    b.log.items.map((m) => m.data.toString()),
    ['from a'],
  );
  assert.deepEqual(errors, []);
});

test('README "External HTTP/S server": an https.Server shared with the adapter serves wss:// (both clients)', async (t) => {
  const { logs, errors } = captureConsole(t);
  const dir = mkdtempSync(join(tmpdir(), 'sb-ws-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { key, cert } = selfSignedCert();
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key);
  process.env.WS_README_CERT = join(dir, 'cert.pem');
  process.env.WS_README_KEY = join(dir, 'key.pem');
  const { server, wss } = (await example('external-https-server')) as { server: http.Server; wss: WebSocketServer };
  closeHttpAfter(t, server, wss);
  const port = await portOf(server);
  for (const kind of CLIENTS) {
    const { peer, log } = await openClient(t, kind, `wss://127.0.0.1:${port}`, undefined, { ca: cert });
    assert.equal((await log.next()).data.toString(), 'something');
    peer.send(`secure hello from ${kind.name}`);
    await until(() => logs.some((args) => String(args[1]) === `secure hello from ${kind.name}`), 'the log line');
  }
  // Plain HTTPS requests are not ours: the application's server answers them (here: nobody, so no 426 from us).
  assert.equal(wss.clients.size, 2);
  assert.deepEqual(errors, []);
});

test('README "Multiple servers sharing a single HTTP/S server": /foo and /bar reach their noServer instances, others are destroyed', async (t) => {
  const { errors } = captureConsole(t);
  const { server, wss1, wss2 } = (await example('multiple-servers')) as {
    server: http.Server;
    wss1: WebSocketServer;
    wss2: WebSocketServer;
  };
  closeHttpAfter(t, server, wss1, wss2);
  const port = await portOf(server);
  for (const kind of CLIENTS) {
    const seen1 = nextEmit<[WebSocket, http.IncomingMessage]>(wss1, 'connection');
    await openClient(t, kind, `ws://127.0.0.1:${port}/foo?room=1`);
    const [ws1, req1] = await seen1;
    assert.equal(req1.url, '/foo?room=1');
    assert.equal(ws1.readyState, ws1.OPEN);

    const seen2 = nextEmit<[WebSocket]>(wss2, 'connection');
    const b = await openClient(t, kind, `ws://127.0.0.1:${port}/bar`);
    const [ws2] = await seen2;
    ws2.send('only for /bar');
    assert.equal((await b.log.next()).data.toString(), 'only for /bar');

    const stray = kind.create(`ws://127.0.0.1:${port}/baz`);
    t.after(() => stray.terminate());
    // Both clients emit 'error' then 'close' in the same tick: listen for both first.
    const failed = nextEmit<[Error]>(stray, 'error');
    const closed = nextEmit<[number]>(stray, 'close');
    const [err] = await failed;
    assert.ok(err instanceof Error, `${kind.name}: a destroyed socket fails the handshake`);
    const [code] = await closed;
    assert.equal(code, 1006);
  }
  assert.equal(wss1.clients.size, 2);
  assert.equal(wss2.clients.size, 2);
  assert.deepEqual(errors, []);
});

test('README "Client authentication": upgrade handler authenticates, handleUpgrade(cb) passes the user on, others get 401', async (t) => {
  const { logs, errors } = captureConsole(t);
  const { server, wss } = (await example('client-authentication')) as { server: http.Server; wss: WebSocketServer };
  closeHttpAfter(t, server, wss);
  const url = `ws://127.0.0.1:${await portOf(server)}/`;
  const users: unknown[] = [];
  wss.on('connection', (_ws: WebSocket, _req: http.IncomingMessage, client: unknown) => users.push(client));
  for (const kind of CLIENTS) {
    const { peer } = await openClient(t, kind, url, undefined, { headers: { Authorization: 'Bearer alice-token' } });
    peer.send(`hi from ${kind.name}`);
    await until(
      () => logs.some((args) => args[0] === `Received message hi from ${kind.name} from user alice`),
      'the log line',
    );

    const intruder = kind.create(url, undefined, { headers: { Authorization: 'Bearer mallory' } });
    t.after(() => intruder.terminate());
    if (kind.name === 'ws') {
      const [, res] = await nextEmit<[unknown, { statusCode: number }]>(intruder, 'unexpected-response');
      assert.equal(res.statusCode, 401);
      // With an 'unexpected-response' listener ws leaves the attempt to the application; ending it emits 'error'.
      intruder.on('error', () => {});
    } else {
      const failed = nextEmit<[Error]>(intruder, 'error');
      const closed = nextEmit<[number]>(intruder, 'close');
      const [err] = await failed;
      assert.equal(err.message, 'Unexpected server response: 401');
      const [code] = await closed;
      assert.equal(code, 1006);
    }
  }
  assert.deepEqual(users, ['alice', 'alice']);
  assert.equal(wss.clients.size, 2);
  assert.deepEqual(errors, []);
});

test('README "WebSocket compression": both clients negotiate the configured parameters and exchange compressed messages', async (t) => {
  const { errors } = captureConsole(t);
  const { wss } = (await example('compression-server')) as { wss: WebSocketServer };
  closeAfter(t, wss);
  const url = `ws://127.0.0.1:${await portOf(wss)}`;
  wss.on('connection', (ws: WebSocket) =>
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })),
  );
  for (const kind of CLIENTS) {
    const client = kind.create(url);
    t.after(() => client.terminate());
    const upgraded = nextEmit<[{ headers: http.IncomingHttpHeaders }]>(client, 'upgrade');
    const opened = nextEmit(client, 'open');
    const [res] = await upgraded;
    await opened;
    const ext = String(res.headers['sec-websocket-extensions']);
    for (const param of [
      'permessage-deflate',
      'client_no_context_takeover',
      'server_no_context_takeover',
      'server_max_window_bits=10',
    ]) {
      assert.ok(ext.includes(param), `${kind.name}: ${param} in "${ext}"`);
    }
    const log = new MessageLog(client);
    const big = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, kind: 'compressible' })));
    client.send(big);
    client.send('small');
    assert.equal((await log.next()).data.toString(), big);
    assert.equal((await log.next()).data.toString(), 'small');
  }
  assert.deepEqual(errors, []);
});

test('README "How to detect and close broken connections" (server): live peers stay, peers that stop answering pings are terminated', async (t) => {
  const { errors } = captureConsole(t);
  const { wss } = (await example('heartbeat-server')) as { wss: WebSocketServer };
  closeAfter(t, wss);
  const url = `ws://127.0.0.1:${await portOf(wss)}`;
  const pingsSeen = new Map<WsPeer, number>();
  const open = async (kind: (typeof CLIENTS)[number], options?: Record<string, unknown>) => {
    const c = await openClient(t, kind, url, undefined, options);
    pingsSeen.set(c.peer, 0);
    c.peer.on('ping', () => pingsSeen.set(c.peer, pingsSeen.get(c.peer)! + 1));
    return c;
  };
  const liveWs = await open(CLIENTS[0]!);
  const liveOurs = await open(CLIENTS[1]!);
  // Broken peers: ws's client told not to answer pings, and ours stops reading (as a frozen process would).
  const deafWs = await open(CLIENTS[0]!, { autoPong: false });
  const frozenOurs = await open(CLIENTS[1]!);
  frozenOurs.peer.pause();

  const [deafCode] = await deafWs.closed;
  assert.equal(deafCode, 1006, 'terminate() closes without a close frame');
  await until(() => wss.clients.size === 2, 'the server to drop both broken peers');
  // A paused socket does not read, so it sees the server's FIN only once it resumes.
  assert.equal(frozenOurs.peer.readyState, 1);
  frozenOurs.peer.resume();
  const [frozenCode] = await frozenOurs.closed;
  assert.equal(frozenCode, 1006);
  assert.ok(pingsSeen.get(deafWs.peer)! >= 1, 'the deaf peer was pinged before being dropped');

  await until(
    () => pingsSeen.get(liveWs.peer)! >= 3 && pingsSeen.get(liveOurs.peer)! >= 3,
    'three heartbeats on the live peers',
  );
  assert.equal(liveWs.peer.readyState, 1);
  assert.equal(liveOurs.peer.readyState, 1);
  assert.equal(wss.clients.size, 2);

  const closed = nextEmit(wss, 'close');
  for (const ws of wss.clients) ws.close(1001);
  wss.close();
  await closed; // the example's 'close' handler clears its interval
  assert.deepEqual(errors, []);
});

test('README "How to detect and close broken connections" (client): terminates itself when the server stops pinging', async (t) => {
  const { errors } = captureConsole(t);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  closeAfter(t, wss);
  let pinger: NodeJS.Timeout | undefined;
  t.after(() => clearInterval(pinger));
  const serverSide = nextEmit<[WebSocket]>(wss, 'connection');
  process.env.WS_README_URL = `ws://127.0.0.1:${await portOf(wss)}`;
  const { client } = (await example('heartbeat-client')) as { client: WsPeer };
  t.after(() => client.terminate());
  const [ws] = await serverSide;
  let pongs = 0;
  ws.on('pong', () => pongs++);
  pinger = setInterval(() => ws.ping(), 100);
  await until(() => pongs >= 6, 'six pongs (longer than the client deadline of 500 ms)', 5_000);
  assert.equal(client.readyState, 1, 'pings keep the client alive');
  clearInterval(pinger);
  const [code] = await nextEmit<[number]>(ws, 'close', 3_000);
  assert.equal(code, 1006, 'the client terminated (no close frame)');
  assert.deepEqual(errors, []);
});

test('README "Sending and receiving text data" (client): sends on open and logs the reply', async (t) => {
  const { logs, errors } = captureConsole(t);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  closeAfter(t, wss);
  wss.on('connection', (ws: WebSocket) => ws.on('message', (data: Buffer) => ws.send(`echo: ${data.toString()}`)));
  process.env.WS_README_URL = `ws://127.0.0.1:${await portOf(wss)}/path`;
  const { ws } = (await example('text-client')) as { ws: WsPeer };
  t.after(() => ws.terminate());
  await until(() => logs.length > 0, 'the log line');
  assert.equal(logs[0]![0], 'received: %s');
  assert.equal(String(logs[0]![1]), 'echo: something');
  assert.deepEqual(errors, []);
});

// The HTTP transports against a server that answers wrongly: every bad answer ends the session with a close event
// whose code and reason say what went wrong, and nothing throws out of the socket.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TransportCloseEvent } from '../../src/client/index.ts';
import type { HttpSocket, HttpTransportConfig } from '../../src/client/http-transport.ts';
import { PollingSocket } from '../../src/client/polling-transport.ts';
import { SseSocket } from '../../src/client/sse-transport.ts';
import { systemClock } from '../../src/client/timers.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A server that answers every request with `handler`; closed after the test. */
async function hostile(t: TestContext, handler: Handler): Promise<HttpTransportConfig> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return {
    fetch: (url, init) => fetch(url, init),
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    query: '',
    token: () => 'a-token',
    withCredentials: false,
    clock: systemClock,
  };
}

/** Opens a socket and resolves with its close event (and whether it opened and what it received). */
function run(socket: HttpSocket): Promise<{ close: TransportCloseEvent; opened: boolean; messages: unknown[] }> {
  return new Promise((resolve) => {
    let opened = false;
    const messages: unknown[] = [];
    socket.onopen = () => {
      opened = true;
    };
    socket.onmessage = (e) => messages.push(e.data);
    socket.onclose = (close) => resolve({ close: { code: close.code, reason: close.reason }, opened, messages });
  });
}

const sse = (res: http.ServerResponse, body: string, end = true): void => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  if (end) res.end(body);
  else res.write(body);
};

test('hostile HTTP server, event stream: refusals, a stream without open, a bad open, a cut, a close event', async (t) => {
  const cases: [string, Handler, TransportCloseEvent, boolean][] = [
    ['404', (_q, r) => r.writeHead(404).end('{}'), { code: 1006, reason: 'http_404' }, false],
    ['503', (_q, r) => r.writeHead(503).end(), { code: 1013, reason: 'http_503' }, false],
    ['429', (_q, r) => r.writeHead(429).end(), { code: 4008, reason: 'http_429' }, false],
    [
      'no open event',
      (_q, r) => sse(r, 'data: {"type":"connected"}\n\n'),
      { code: 1006, reason: 'stream_ended' },
      false,
    ],
    [
      'bad open',
      (_q, r) => sse(r, 'event: open\ndata: {"session":42}\n\n', false),
      { code: 1006, reason: 'bad_open_event' },
      false,
    ],
    [
      'open then cut',
      (_q, r) => {
        sse(r, 'event: open\ndata: {"session":"n.s"}\n\ndata: {"x":1}\n\n', false);
        setTimeout(() => r.socket?.destroy(), 50);
      },
      { code: 1006, reason: 'stream_failed' },
      true,
    ],
    [
      'close event',
      (_q, r) =>
        sse(
          r,
          'event: open\ndata: {"session":"n.s"}\n\nevent: close\ndata: {"code":4009,"reason":"shutdown"}\n\n',
          false,
        ),
      { code: 4009, reason: 'shutdown' },
      true,
    ],
    [
      'garbled close event',
      (_q, r) => sse(r, 'event: open\ndata: {"session":"n.s"}\n\nevent: close\ndata: nope\n\n', false),
      { code: 1006, reason: '' },
      true,
    ],
  ];
  for (const [name, handler, expected, opens] of cases) {
    const config = await hostile(t, handler);
    const result = await run(new SseSocket(config));
    assert.deepEqual(result.close, expected, name);
    assert.equal(result.opened, opens, `${name}: opened`);
  }
});

test('hostile HTTP server, event stream: a refused POST ends the session (its messages may or may not have arrived)', async (t) => {
  const config = await hostile(t, (req, res) => {
    if (req.url?.startsWith('/http/send')) res.writeHead(500).end();
    else sse(res, 'event: open\ndata: {"session":"n.s"}\n\n', false);
  });
  const socket = new SseSocket(config);
  const done = run(socket);
  await new Promise<void>((r) => {
    socket.onopen = () => r();
  });
  assert.equal(socket.session, 'n.s');
  assert.throws(() => socket.send(new Uint8Array(1)), /binary data over the event stream/);
  socket.send('{"type":"ping","rid":1}');
  assert.deepEqual((await done).close, { code: 1006, reason: 'send_failed' });
});

test('hostile HTTP server, long-polling: bad open answers, bad poll answers, an unknown session, a close', async (t) => {
  const open = (res: http.ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"session":"n.s","seq":0,"messages":[]}');
  };
  const cases: [string, Handler, TransportCloseEvent, boolean][] = [
    ['open refused', (_q, r) => r.writeHead(403).end(), { code: 1006, reason: 'http_403' }, false],
    ['open not JSON', (_q, r) => r.writeHead(200).end('<html>'), { code: 1006, reason: 'poll_failed' }, false],
    [
      'open without session',
      (_q, r) => r.writeHead(200).end('{"seq":0,"messages":[]}'),
      { code: 1006, reason: 'bad_open_answer' },
      false,
    ],
    [
      'poll without seq',
      (q, r) => (q.method === 'POST' ? open(r) : r.writeHead(200).end('{"messages":[]}')),
      { code: 1006, reason: 'bad_poll_answer' },
      true,
    ],
    [
      'unknown session',
      (q, r) => (q.method === 'POST' ? open(r) : r.writeHead(404).end('{}')),
      { code: 1006, reason: 'unknown_session' },
      true,
    ],
    [
      'poll closes',
      (q, r) =>
        q.method === 'POST'
          ? open(r)
          : r
              .writeHead(200)
              .end('{"seq":2,"messages":[{"a":1},{"a":2}],"close":{"code":4010,"reason":"slow consumer"}}'),
      { code: 4010, reason: 'slow consumer' },
      true,
    ],
  ];
  for (const [name, handler, expected, opens] of cases) {
    const config = await hostile(t, handler);
    const result = await run(new PollingSocket(config));
    assert.deepEqual(result.close, expected, name);
    assert.equal(result.opened, opens, `${name}: opened`);
    if (name === 'poll closes') assert.deepEqual(result.messages, ['{"a":1}', '{"a":2}'], 'messages before the close');
  }
});

test('hostile HTTP server, long-polling: a message sent again (lost answer) is delivered once, by its number', async (t) => {
  let polls = 0;
  const seenAcks: string[] = [];
  const config = await hostile(t, (req, res) => {
    if (req.method === 'POST') {
      res.writeHead(200).end('{"session":"n.s","seq":0,"messages":[]}');
      return;
    }
    seenAcks.push(new URL(req.url ?? '/', 'http://x').searchParams.get('ack') ?? '');
    polls++;
    if (polls === 1) res.writeHead(200).end('{"seq":2,"messages":["m1","m2"]}');
    // The same messages again and one more, as after a lost answer; then the end.
    else if (polls === 2) res.writeHead(200).end('{"seq":3,"messages":["m1","m2","m3"]}');
    else res.writeHead(200).end('{"seq":3,"messages":[],"close":{"code":1000,"reason":"bye"}}');
  });
  const result = await run(new PollingSocket(config));
  assert.deepEqual(result.messages, ['m1', 'm2', 'm3']);
  assert.deepEqual(seenAcks, ['0', '2', '3'], 'each poll acknowledges the highest number processed');
  assert.deepEqual(result.close, { code: 1000, reason: 'bye' });
});

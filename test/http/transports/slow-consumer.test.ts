// Slow consumers over the HTTP transports: the slow-consumer policy (`close`, 4010) reads the event stream's unsent
// bytes and the polling session's unacknowledged bytes, as it reads a WebSocket's buffered amount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PollSession, send } from '../../helpers/http-session.ts';
import { startHttpServer } from '../../helpers/http-session-server.ts';

const PAYLOAD = 'x'.repeat(4000);
const SLOW_BYTES = 64 * 1024;

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a polling session that stops polling is closed with 4010 past the slow-consumer bytes; its last poll says so', async (t) => {
  const srv = await startHttpServer(t, { realtime: { slowConsumerBytes: SLOW_BYTES } });
  const p = await PollSession.open(srv.base, await srv.auth('slow'));
  assert.ok(p instanceof PollSession);
  await p.send([
    { type: 'connect', rid: 1 },
    { type: 'subscribe', rid: 2, channel: 'chat:slow' },
  ]);
  while (!p.messages.items.some((m) => m.type === 'subscribed')) await p.pollOnce();
  // No more polls: the messages stay unacknowledged.
  for (let i = 0; i < 200 && srv.server.hub.connectionCount > 0; i++) {
    await srv.server.hub.publish('chat:slow', { i, pad: PAYLOAD });
  }
  await until(() => srv.server.hub.connectionCount === 0, 'the slow session closed');
  const last = await p.pollOnce();
  assert.equal(last.close?.code, 4010);
  const disconnect = last.messages.find((m) => m.type === 'disconnect');
  assert.equal(disconnect?.['code'], 4010);
  assert.equal(disconnect?.['reconnect'], true);
  // What was queued was dropped, so the close came at once rather than after the backlog.
  assert.ok(last.messages.length < 10, `messages in the last answer: ${last.messages.length}`);
  assert.equal((await p.pollRaw(p.ack)).status, 404);
});

test('an event stream whose reader stalls is closed with 4010 once its unsent bytes pass the bound', async (t) => {
  const srv = await startHttpServer(t, { realtime: { slowConsumerBytes: SLOW_BYTES } });
  const auth = await srv.auth('stalled');
  const socket = net.connect(srv.port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(
    `GET /http/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: ${auth.Authorization}\r\n\r\n`,
  );
  let head = '';
  const session = await new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('utf8');
      const m = /event: open\ndata: (\{.*\})\n\n/.exec(head);
      if (m !== null) resolve((JSON.parse(m[1]!) as { session: string }).session);
    });
    socket.once('error', reject);
  });
  // The reader stops: the kernel's buffers fill, then the response's.
  socket.removeAllListeners('data');
  socket.pause();
  const sent = await send(
    srv.base,
    session,
    [
      { type: 'connect', rid: 1 },
      { type: 'subscribe', rid: 2, channel: 'chat:stall' },
    ],
    auth,
  );
  assert.equal(sent.status, 204);
  await until(() => [...srv.server.hub.sessions].some((s) => s.subscriptions.size === 1), 'subscribed');
  for (let i = 0; i < 10_000 && srv.server.hub.connectionCount > 0; i++) {
    await srv.server.hub.publish('chat:stall', { i, pad: PAYLOAD });
  }
  await until(() => srv.server.hub.connectionCount === 0, 'the stalled stream closed');
  assert.deepEqual(srv.server.httpTransports?.counts(), { sse: 0, poll: 0 });
  const stale = await send(srv.base, session, [{ type: 'ping', rid: 3 }], auth);
  assert.equal(stale.status, 404);
});

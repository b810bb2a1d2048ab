// A session is transport-neutral: the hub runs one over any SessionTransport, and fan-out reaches it beside WebSockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack, unpack } from 'msgpackr';
import type { SessionTransport } from '../../src/realtime/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

type Message = Record<string, unknown> & { type: string };

/** A transport that keeps frames in memory: what an SSE or long-polling transport would write to its response. */
class MemoryTransport implements SessionTransport {
  readonly remoteAddress = 'memory';
  readonly bufferedAmount = 0;
  readonly protocol: string;
  readonly frames: (string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(protocol = '') {
    this.protocol = protocol;
  }

  send(frame: string | Uint8Array): boolean {
    if (this.closed !== null) return false;
    this.frames.push(frame);
    return true;
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  messages(): Message[] {
    return this.frames.map((f) => (typeof f === 'string' ? JSON.parse(f) : unpack(f)) as Message);
  }

  async next(match: (m: Message) => boolean, timeoutMs = 2000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages().find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`No matching frame; got ${JSON.stringify(this.messages()).slice(0, 400)}`);
      await sleep(5);
    }
  }
}

test('a session over a non-WebSocket transport connects, subscribes and gets publications beside WebSocket subscribers', async (t) => {
  const hub = await startHub(t);
  const transport = new MemoryTransport();
  const session = hub.hub.openSession(transport);
  assert.ok(hub.hub.sessions.has(session));
  assert.equal(session.remoteAddress, 'memory');
  session.receive(JSON.stringify({ type: 'connect', rid: 1, token: await hub.token('mem') }));
  const connected = await transport.next((m) => m.type === 'connected');
  assert.equal(connected['user'], 'mem');
  session.receive(JSON.stringify({ type: 'subscribe', rid: 2, channel: 'chat:mixed' }));
  await transport.next((m) => m.type === 'subscribed');

  const ws = await openClient(t, hub, 'alice');
  await ws.request({ type: 'subscribe', channel: 'chat:mixed' });
  await ws.request({ type: 'publish', channel: 'chat:mixed', data: 'hello', id: 'p1' });
  const viaMemory = await transport.next((m) => m.type === 'publication');
  const viaSocket = await ws.next((m) => m.type === 'publication');
  assert.deepEqual(
    [viaMemory['data'], viaSocket['data']],
    ['hello', 'hello'],
    'one fan-out reached both kinds of transport',
  );

  session.transportClosed(1006, '');
  assert.equal(hub.hub.sessions.has(session), false, 'the end of the transport ends the session');
  await ws.request({ type: 'publish', channel: 'chat:mixed', data: 'after', id: 'p2' });
  assert.equal((await ws.next((m) => m.type === 'publication'))['data'], 'after', 'WebSocket fan-out goes on alone');
  assert.equal(
    transport.messages().filter((m) => m.type === 'publication').length,
    1,
    'nothing is sent to an ended session',
  );
});

test('the transport protocol picks the codec: MessagePack frames in and out', async (t) => {
  const hub = await startHub(t);
  const transport = new MemoryTransport('switchboard.v1.msgpack');
  const session = hub.hub.openSession(transport);
  session.receive(pack({ type: 'connect', rid: 1, token: await hub.token('bin') }));
  await transport.next((m) => m.type === 'connected');
  assert.ok(transport.frames.every((f) => f instanceof Uint8Array));
});

test('bad input over another transport gets the same coded answers and closes', async (t) => {
  const hub = await startHub(t);
  const transport = new MemoryTransport();
  const session = hub.hub.openSession(transport);
  session.receive('not json');
  const error = await transport.next((m) => m.type === 'error');
  assert.equal(error['code'], 'bad_request');
  const disconnect = await transport.next((m) => m.type === 'disconnect');
  assert.equal(disconnect['code'], 4500);
  assert.deepEqual(transport.closed, { code: 4500, reason: 'bad request' });
  assert.equal(hub.hub.sessions.has(session), false);
});

test('a session opened while the hub drains is told to go elsewhere', async (t) => {
  const hub = await startHub(t);
  await hub.hub.drain({ timeoutMs: 200 });
  const transport = new MemoryTransport();
  hub.hub.openSession(transport);
  assert.deepEqual(transport.closed, { code: 1001, reason: 'shutdown' });
  assert.equal(transport.messages()[0]?.['reconnect'], true);
});

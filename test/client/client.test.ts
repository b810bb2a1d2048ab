// Client SDK core against a real hub (undici's WHATWG WebSocket as the injected transport), and the browser type-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { WebSocket as UndiciWebSocket } from 'undici';
import { Client, ClientError, type TransportFactory } from '../../src/client/index.ts';
import { createCodec, Subprotocol } from '../../src/messages/index.ts';
import { startHub } from '../helpers/realtime.ts';

const transport: TransportFactory = (url, protocols) => new UndiciWebSocket(url, protocols) as never;

test('src/client and src/messages type-check under a browser tsconfig (lib DOM, no Node types)', () => {
  const result = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.client.json', '--noEmit'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

for (const codec of ['json', 'msgpack'] as const) {
  test(`client (${codec}): connect, subscribe, publish with ack, receive, presence, history, ping, stats`, async (t) => {
    const hub = await startHub(t);
    const wire = codec === 'json' ? 'json' : createCodec(Subprotocol.MSGPACK);
    const a = new Client({ url: hub.url, transport, token: await hub.token('alice'), codec: wire });
    const b = new Client({ url: hub.url, transport, token: await hub.token('bob'), codec: wire });
    t.after(() => {
      a.close();
      b.close();
    });
    const connected = await a.connect();
    assert.equal(connected.user, 'alice');
    await b.connect();
    assert.equal(a.state, 'connected');
    const received: unknown[] = [];
    b.on('publication', (p) => received.push(p.data));
    await b.subscribe('chat:c', { presence: true });
    const joins: string[] = [];
    b.on('join', (j) => {
      if (j.user !== 'bob') joins.push(j.user);
    });
    await a.subscribe('chat:c');
    const ack = await a.publish('chat:c', { text: 'hello' });
    assert.equal(ack.duplicate, false);
    const again = await a.publish('chat:c', { text: 'x' }, { id: 'fixed' });
    const dup = await a.publish('chat:c', { text: 'x' }, { id: 'fixed' });
    assert.equal(dup.offset, again.offset);
    assert.equal(dup.duplicate, true);
    await b.ping();
    assert.deepEqual(received, [{ text: 'hello' }, { text: 'x' }]);
    assert.deepEqual(joins, ['alice']);
    assert.equal((await b.presence('chat:c')).users.length, 2);
    assert.equal((await b.history('chat:c', { limit: 1 })).publications.length, 1);
    assert.equal(typeof (await a.ping()).time, 'number');
    assert.ok((await a.stats()) !== null);
    assert.equal(b.positions.get('chat:c')?.offset, 2);
  });
}

test('client: errors carry the server code; requests time out; recovery uses the last position seen', async (t) => {
  const hub = await startHub(t);
  const a = new Client({ url: hub.url, transport, token: await hub.token('alice'), requestTimeoutMs: 500 });
  t.after(() => a.close());
  await a.connect();
  await assert.rejects(
    a.subscribe('staff:x'),
    (err: unknown) => err instanceof ClientError && err.code === 'forbidden',
  );
  await assert.rejects(
    a.publish('feed:x', 1),
    (err: unknown) => err instanceof ClientError && err.code === 'not_available',
  );
  await a.subscribe('chat:r');
  await a.publish('chat:r', 1);
  await a.ping();
  const position = a.positions.get('chat:r')!;
  a.close();
  const b = new Client({ url: hub.url, transport, token: await hub.token('alice') });
  t.after(() => b.close());
  await b.connect();
  const publisher = new Client({ url: hub.url, transport, token: await hub.token('carol') });
  t.after(() => publisher.close());
  await publisher.connect();
  for (let i = 2; i <= 4; i++) await publisher.publish('chat:r', i);
  b.setPosition('chat:r', position);
  const seen: unknown[] = [];
  b.on('publication', (p) => seen.push(p.data));
  const sub = await b.subscribe('chat:r');
  assert.equal(sub.recovered, true);
  assert.deepEqual(seen, [2, 3, 4]);
});

test('client: connect with a bad token rejects with the server code and emits close', async (t) => {
  const hub = await startHub(t);
  const c = new Client({ url: hub.url, transport, token: 'x.y.z' });
  const closed = new Promise<number>((resolve) => c.on('close', (e) => resolve(e.code)));
  await assert.rejects(c.connect(), (err: unknown) => err instanceof ClientError && err.code === 'unauthorized');
  assert.equal(await closed, 4502);
  assert.equal(c.state, 'closed');
});

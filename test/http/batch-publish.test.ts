// Batch publish over real sockets: `POST /api/publish` with a JSON array, each item published on its own with its
// own idempotency id and result, in order; bad items fail alone; bad batches are refused whole. A single publish
// carries a feed key too.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer } from '../../src/http/index.ts';
import { apiSignedPayload, signBody } from '../../src/integrations/index.ts';
import { createAuthenticator, createNamespaces } from '../../src/realtime/index.ts';
import { SECRET } from '../helpers/realtime.ts';

const API_KEY = 'a-test-api-key-0123456789';
const API_SECRET = 'api-secret-0123456789abcdef';

async function start(t: TestContext, options: { maxBatchItems?: number; maxBodyBytes?: number } = {}) {
  const broker = new MemoryBroker();
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces({
        chat: {},
        feed: { allowClientPublish: false },
        strict: { payloadSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
      }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    },
    apiKeys: [API_KEY],
    apiSecret: API_SECRET,
    webRoot: null,
    ...options,
  });
  const address = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    await broker.close();
  });
  const base = `http://127.0.0.1:${address.port}`;
  const publish = async (body: unknown, headers: Record<string, string> = { 'X-API-Key': API_KEY }) => {
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { results?: unknown[] } };
  };
  return { broker, publish };
}

test('a batch publishes every item in order, each with its own position, id and feed key', async (t) => {
  const { broker, publish } = await start(t);
  const batch = [
    { channel: 'feed:prices.ACME', data: { price: 1 }, id: 'acme-1', key: 'ACME' },
    { channel: 'feed:prices.BOLT', data: { price: 2 }, id: 'bolt-1', key: 'BOLT' },
    { channel: 'feed:prices.ACME', data: { price: 3 }, id: 'acme-2', key: 'ACME' },
    { channel: 'chat:general', data: 'no id, no key' },
  ];
  const first = await publish(batch);
  assert.equal(first.status, 200);
  const epoch = (await broker.history('feed:prices.ACME')).epoch;
  const bolt = (await broker.history('feed:prices.BOLT')).epoch;
  const chat = (await broker.history('chat:general')).epoch;
  assert.deepEqual(first.body, {
    results: [
      { ok: true, epoch, offset: 1, duplicate: false },
      { ok: true, epoch: bolt, offset: 1, duplicate: false },
      { ok: true, epoch, offset: 2, duplicate: false },
      { ok: true, epoch: chat, offset: 1, duplicate: false },
    ],
  });
  const acme = await broker.history('feed:prices.ACME');
  assert.deepEqual(
    acme.publications.map((p) => [p.data, p.id]),
    [
      [{ price: 1 }, 'acme-1'],
      [{ price: 3 }, 'acme-2'],
    ],
  );

  // The same batch again (a retry after a lost answer): the items with an id are duplicates, stored once.
  const again = await publish(batch);
  assert.equal(again.status, 200);
  assert.deepEqual(
    again.body.results?.map((r) => (r as { duplicate: boolean }).duplicate),
    [true, true, true, false],
  );
  assert.equal((await broker.history('feed:prices.ACME')).offset, 2, 'no duplicate stored');
  assert.equal((await broker.history('chat:general')).offset, 2, 'an item without id is published again');
});

test('a bad item fails alone with its code; the items around it are published', async (t) => {
  const { broker, publish } = await start(t);
  const answer = await publish([
    { channel: 'chat:a', data: 1 },
    { channel: 'no colon', data: 2 },
    { channel: 'nowhere:x', data: 3 },
    { channel: 'chat:a', data: 4, extra: true },
    { channel: 'chat:a' },
    { channel: 'chat:a', data: 5, id: 'has space' },
    { channel: 'chat:a', data: 6, key: 7 },
    { channel: 'strict:a', data: { m: 1 } },
    'not an object',
    null,
    [{ channel: 'chat:a', data: 7 }],
    { channel: 'chat:a', data: 8 },
  ]);
  assert.equal(answer.status, 200);
  const results = answer.body.results as Array<{ ok: boolean; error?: { code: string; message: string } }>;
  assert.equal(results.length, 12);
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : `${r.error?.code}: ${r.error?.message}`)),
    [
      'ok',
      'invalid_message: Invalid channel name',
      'not_found: Unknown namespace',
      'invalid_message: Unknown field',
      'invalid_message: Missing data',
      'invalid_message: Invalid id',
      'invalid_message: Invalid key',
      results[7]!.ok ? 'ok' : `invalid_message: ${results[7]!.error?.message}`,
      'invalid_message: Expected an object',
      'invalid_message: Expected an object',
      'invalid_message: Expected an object',
      'ok',
    ],
  );
  assert.equal(results[7]!.ok, false, 'the payload schema refuses the item');
  assert.deepEqual(
    (await broker.history('chat:a')).publications.map((p) => p.data),
    [1, 8],
  );
});

test('bad batches are refused whole: empty, too many items, too large, no key; nothing is published', async (t) => {
  const { broker, publish } = await start(t, { maxBatchItems: 3, maxBodyBytes: 4096 });
  const item = (n: number) => ({ channel: 'chat:a', data: n });

  const empty = await publish([]);
  assert.equal(empty.status, 400);
  assert.deepEqual(empty.body, { error: 'invalid_message', message: 'Expected 1 or more items' });

  const many = await publish([item(1), item(2), item(3), item(4)]);
  assert.equal(many.status, 413);
  assert.deepEqual(many.body, { error: 'too_many_items', message: 'A batch holds at most 3 items (got 4)' });

  const big = await publish([{ channel: 'chat:a', data: 'x'.repeat(5000) }]);
  assert.equal(big.status, 413);
  assert.equal(big.body['error'], 'too_large');

  assert.equal((await publish([item(1)], {})).status, 401);
  assert.equal((await publish([item(1)], { 'X-API-Key': 'wrong' })).status, 403);
  assert.equal((await publish('[{"channel": "chat:a", "data": 1},')).status, 400, 'invalid JSON');
  assert.equal((await publish('"just a string"')).status, 400, 'neither an object nor an array');
  assert.equal((await broker.history('chat:a')).offset, 0, 'nothing was published');

  const three = await publish([item(1), item(2), item(3)]);
  assert.equal(three.status, 200, 'exactly maxBatchItems is fine');
  assert.equal((await broker.history('chat:a')).offset, 3);
});

test('the default batch limit is 100 items', async (t) => {
  const { broker, publish } = await start(t);
  const items = Array.from({ length: 101 }, (_, n) => ({ channel: 'chat:a', data: n }));
  assert.equal((await publish(items)).status, 413);
  const ok = await publish(items.slice(0, 100));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.results?.length, 100);
  assert.deepEqual(
    (await broker.history('chat:a', { limit: 100 })).publications.map((p) => p.data),
    items.slice(0, 100).map((i) => i.data),
  );
});

test('a signed batch is accepted without an API key', async (t) => {
  const { publish } = await start(t);
  const body = JSON.stringify([{ channel: 'chat:a', data: 1, id: 'signed-1' }]);
  const signature = signBody(
    API_SECRET,
    apiSignedPayload('POST', '/api/publish', Buffer.from(body)),
    Math.floor(Date.now() / 1000),
  );
  const answer = await publish(body, { 'Switchboard-Signature': signature });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body.results, [
    {
      ok: true,
      epoch: answer.body.results?.[0] ? (answer.body.results[0] as { epoch: string }).epoch : '',
      offset: 1,
      duplicate: false,
    },
  ]);
});

test('a broker that refuses fails each item with broker_unavailable (retry them with the same ids)', async (t) => {
  const { broker, publish } = await start(t);
  await broker.close();
  const answer = await publish([
    { channel: 'chat:a', data: 1, id: 'x1' },
    { channel: 'chat:a', data: 2, id: 'x2' },
  ]);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body.results, [
    { ok: false, error: { code: 'broker_unavailable', message: 'The message broker is unavailable' } },
    { ok: false, error: { code: 'broker_unavailable', message: 'The message broker is unavailable' } },
  ]);
});

test('maxBatchItems must be a whole number of 1 or more', async () => {
  for (const maxBatchItems of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(
      createSwitchboardServer({
        realtime: {
          broker: new MemoryBroker(),
          namespaces: createNamespaces({ chat: {} }),
          authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
        },
        webRoot: null,
        maxBatchItems,
      }),
      /maxBatchItems/,
    );
  }
});

test('a single publish carries a feed key like a batch item; a bad key is refused with its message', async (t) => {
  const { broker, publish } = await start(t);
  const answer = await publish({ channel: 'feed:prices.ACME', data: { price: 1 }, id: 'acme-1', key: 'ACME' });
  assert.equal(answer.status, 200);
  const stored = (await broker.history('feed:prices.ACME')).publications;
  assert.deepEqual(
    stored.map((p) => [p.data, p.id, p.key]),
    [[{ price: 1 }, 'acme-1', 'ACME']],
  );
  for (const key of [7, '', 'has space', 'x'.repeat(129), 'é']) {
    const refused = await publish({ channel: 'feed:prices.ACME', data: 2, key });
    assert.equal(refused.status, 400, JSON.stringify(key));
    assert.deepEqual(refused.body, { error: 'invalid_message', message: 'Invalid key' });
  }
  assert.equal((await broker.history('feed:prices.ACME')).offset, 1, 'nothing published by a refused request');
});

// createHttpProxy against a real node:http backend: the request it sends (body, headers, signature), how each
// answer becomes a decision, and every way a backend fails: down, slow, 5xx, not JSON, too big, wrong shape. The
// client-facing result of a failure is a `backend_unavailable` refusal (outage) or a thrown ProxyAnswerError (the
// hub answers `internal`: a backend bug, not worth retrying).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  createHttpProxy,
  type HttpProxyOptions,
  type ProxyFailure,
  type ProxyOutcome,
  ProxyAnswerError,
} from '../../../src/integrations/index.ts';
import { ALICE, deadPort, json, startNodeBackend, type NodeBackend } from './node-backend.ts';

const SECRET = 'proxy-test-secret';
const SUBSCRIBE = { ...ALICE, channel: 'chat:lobby', namespace: 'chat' };
const PUBLISH = { ...SUBSCRIBE, data: { text: 'hi' } };
const CONNECT = { ...ALICE, expiresAt: 1_900_000_000_000 };

const backends: NodeBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

async function setup(options: Omit<HttpProxyOptions, 'observer'> = {}, secret: string | null = SECRET) {
  const backend = await startNodeBackend(secret);
  backends.push(backend);
  const outcomes: ProxyOutcome[] = [];
  const failures: ProxyFailure[] = [];
  const proxy = createHttpProxy({
    connect: `${backend.url}/connect`,
    refresh: `${backend.url}/refresh`,
    subscribe: `${backend.url}/subscribe`,
    publish: `${backend.url}/publish`,
    rpc: `${backend.url}/rpc`,
    secret,
    ...options,
    observer: { request: (_kind, outcome) => outcomes.push(outcome), failed: (f) => failures.push(f) },
  });
  return { backend, proxy, outcomes, failures };
}

const unavailable = (value: unknown): void => {
  assert.equal((value as { refuse?: { code?: string } }).refuse?.code, 'backend_unavailable', JSON.stringify(value));
};

test('a publish is POSTed as signed JSON with the caller, the channel and the data; {} allows it unchanged', async (t) => {
  const { backend, proxy, outcomes } = await setup();
  t.after(() => proxy.close());
  assert.equal(await proxy.onPublish!(PUBLISH), undefined);
  const [got] = backend.received;
  assert.ok(got);
  assert.equal(got.path, '/publish');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.signed, true, 'the signature verifies with the shared secret');
  assert.match(got.headers['switchboard-request-id'] as string, /^[0-9a-f-]{36}$/);
  assert.deepEqual(got.body, {
    request: 'publish',
    id: got.headers['switchboard-request-id'],
    client: 'c0ffee',
    user: 'alice',
    anonymous: false,
    roles: ['user'],
    info: { name: 'Alice' },
    remoteAddress: '127.0.0.1',
    transport: 'websocket',
    channel: 'chat:lobby',
    namespace: 'chat',
    data: { text: 'hi' },
  });
  assert.deepEqual(outcomes, ['allowed']);
  await proxy.onPublish!(PUBLISH);
  assert.notEqual(backend.received[1]!.body['id'], got.body['id'], 'every request has its own id');
});

test('each hook sends its own fields: connect and refresh the expiry, subscribe the channel, rpc the method', async (t) => {
  const { backend, proxy } = await setup();
  t.after(() => proxy.close());
  await proxy.onConnect!(CONNECT);
  await proxy.onRefresh!({ ...CONNECT, expiresAt: null });
  await proxy.onSubscribe!(SUBSCRIBE);
  await proxy.rpc!({ ...ALICE, method: 'chat.history', data: [1, 2] });
  const pick = (i: number, ...keys: string[]) => Object.fromEntries(keys.map((k) => [k, backend.received[i]!.body[k]]));
  assert.deepEqual(pick(0, 'request', 'expiresAt'), { request: 'connect', expiresAt: 1_900_000_000_000 });
  assert.deepEqual(pick(1, 'request', 'expiresAt'), { request: 'refresh', expiresAt: null });
  assert.deepEqual(pick(2, 'request', 'channel', 'namespace', 'data'), {
    request: 'subscribe',
    channel: 'chat:lobby',
    namespace: 'chat',
    data: undefined,
  });
  assert.deepEqual(pick(3, 'request', 'method', 'data'), { request: 'rpc', method: 'chat.history', data: [1, 2] });
  assert.deepEqual(
    backend.received.map((r) => r.path),
    ['/connect', '/refresh', '/subscribe', '/rpc'],
  );
});

test('without a secret nothing is signed', async (t) => {
  const { backend, proxy } = await setup({}, null);
  t.after(() => proxy.close());
  await proxy.onPublish!(PUBLISH);
  assert.equal(backend.received[0]!.headers['switchboard-signature'], undefined);
});

test('answers become decisions: refusal with its code, replaced data, attached info, rpc reply data', async (t) => {
  const { backend, proxy, outcomes } = await setup();
  t.after(() => proxy.close());
  backend.handler = (r, res) => {
    if (r.body['request'] === 'subscribe') json(res, { error: { code: 'forbidden', message: 'Members only' } });
    else if (r.body['request'] === 'publish') json(res, { result: { data: { text: 'HI', by: 'alice' } } });
    else if (r.body['request'] === 'connect') json(res, { result: { info: { name: 'Alice A.', level: 3 } } });
    else if (r.body['request'] === 'refresh') json(res, { result: {} });
    else json(res, { result: { data: { echo: r.body['data'] } } });
  };
  assert.deepEqual(await proxy.onSubscribe!(SUBSCRIBE), { refuse: { code: 'forbidden', message: 'Members only' } });
  assert.deepEqual(await proxy.onPublish!(PUBLISH), { data: { text: 'HI', by: 'alice' } });
  assert.deepEqual(await proxy.onConnect!(CONNECT), { info: { name: 'Alice A.', level: 3 } });
  assert.equal(await proxy.onRefresh!(CONNECT), undefined);
  assert.deepEqual(await proxy.rpc!({ ...ALICE, method: 'x', data: 5 }), { data: { echo: 5 } });
  assert.deepEqual(outcomes, ['refused', 'allowed', 'allowed', 'allowed', 'allowed']);

  backend.handler = (_r, res) => json(res, { result: { data: null } });
  assert.deepEqual(await proxy.onPublish!(PUBLISH), { data: null }, 'null is data too');
  backend.handler = (_r, res) => json(res, {});
  assert.deepEqual(await proxy.rpc!({ ...ALICE, method: 'x', data: null }), {}, 'an rpc without data: empty reply');
  backend.handler = (_r, res) => json(res, { error: { code: 'rate_limited' } });
  assert.deepEqual(await proxy.onPublish!(PUBLISH), {
    refuse: { code: 'rate_limited', message: 'Refused by the application' },
  });
  backend.handler = (_r, res) => json(res, { error: { code: 'forbidden', message: 'x'.repeat(1000) } });
  const long = (await proxy.onSubscribe!(SUBSCRIBE)) as { refuse: { message: string } };
  assert.equal(long.refuse.message.length, 256, 'a refusal message is cut to 256 characters');
});

test('only hooks with an endpoint exist; per-namespace endpoints override the global one, null turns it off', async (t) => {
  const backend = await startNodeBackend();
  backends.push(backend);
  const onlyRpc = createHttpProxy({ rpcPrefixes: { 'chat.': `${backend.url}/chat` } });
  t.after(() => onlyRpc.close());
  assert.deepEqual(Object.keys(onlyRpc).sort(), ['close', 'health', 'rpc']);
  assert.equal(await onlyRpc.rpc!({ ...ALICE, method: 'billing.pay', data: null }), null, 'no endpoint: not found');
  assert.equal(backend.received.length, 0);

  const proxy = createHttpProxy({
    subscribe: `${backend.url}/any`,
    namespaces: {
      chat: { subscribe: `${backend.url}/chat`, publish: `${backend.url}/chat-pub` },
      open: { subscribe: null },
    },
  });
  t.after(() => proxy.close());
  assert.equal(proxy.onConnect, undefined);
  assert.equal(typeof proxy.onPublish, 'function', 'one namespace has a publish endpoint');
  await proxy.onSubscribe!(SUBSCRIBE);
  await proxy.onSubscribe!({ ...SUBSCRIBE, channel: 'news:x', namespace: 'news' });
  await proxy.onSubscribe!({ ...SUBSCRIBE, channel: 'lobby', namespace: '' });
  assert.equal(proxy.onSubscribe!({ ...SUBSCRIBE, channel: 'open:x', namespace: 'open' }), undefined);
  assert.equal(proxy.onPublish!({ ...PUBLISH, channel: 'news:x', namespace: 'news' }), undefined, 'synchronous');
  await proxy.onPublish!(PUBLISH);
  assert.deepEqual(
    backend.received.map((r) => r.path),
    ['/chat', '/any', '/any', '/chat-pub'],
  );
});

test('rpc goes to the longest matching method prefix, else to the global rpc endpoint', async (t) => {
  const backend = await startNodeBackend();
  backends.push(backend);
  const proxy = createHttpProxy({
    rpc: `${backend.url}/rpc`,
    rpcPrefixes: { 'chat.': `${backend.url}/chat`, 'chat.admin.': `${backend.url}/admin` },
  });
  t.after(() => proxy.close());
  for (const method of ['chat.send', 'chat.admin.ban', 'billing.pay', 'chat'])
    await proxy.rpc!({ ...ALICE, method, data: null });
  assert.deepEqual(
    backend.received.map((r) => r.path),
    ['/chat', '/admin', '/rpc', '/rpc'],
  );
});

test('bad options are refused with a TypeError naming the option', () => {
  assert.throws(() => createHttpProxy({ publish: 'not a url' }), /publish is not a URL/);
  assert.throws(() => createHttpProxy({ connect: 'ftp://x/' }), /connect must be an http: or https: URL/);
  assert.throws(() => createHttpProxy({ rpcPrefixes: { 'a.': '/relative' } }), /rpcPrefixes\["a."\] is not a URL/);
  assert.throws(() => createHttpProxy({ timeoutMs: 0 }), /timeoutMs must be an integer/);
  assert.throws(() => createHttpProxy({ maxConcurrency: 1.5 }), /maxConcurrency/);
  assert.throws(() => createHttpProxy({ breaker: { failureThreshold: 0 } }), /breaker.failureThreshold/);
  assert.throws(() => createHttpProxy({ secret: '' }), /secret/);
});

test('a backend that is down: backend_unavailable, logged as unreachable', async (t) => {
  const port = await deadPort();
  const failures: ProxyFailure[] = [];
  const proxy = createHttpProxy({
    publish: `http://127.0.0.1:${port}/publish`,
    observer: { failed: (f) => failures.push(f) },
  });
  t.after(() => proxy.close());
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.equal(failures[0]?.outcome, 'unreachable');
  assert.equal(failures[0]?.detail, 'ECONNREFUSED');
  assert.match(failures[0]?.requestId ?? '', /^[0-9a-f-]{36}$/);
});

test('a slow backend: the call ends at timeoutMs with backend_unavailable, the request is aborted', async (t) => {
  const { backend, proxy, failures } = await setup({ timeoutMs: 200 });
  t.after(() => proxy.close());
  let aborted = false;
  backend.handler = (_r, res) => {
    res.on('close', () => (aborted = !res.writableEnded));
    setTimeout(() => !res.destroyed && json(res, {}), 5000).unref();
  };
  const started = performance.now();
  const answer = await proxy.onPublish!(PUBLISH);
  const elapsed = performance.now() - started;
  unavailable(answer);
  assert.match((answer as { refuse: { message: string } }).refuse.message, /did not answer in time/);
  assert.ok(elapsed >= 190 && elapsed < 2500, `ended after ${elapsed} ms (the backend answers after 5 s)`);
  assert.equal(failures[0]?.outcome, 'timeout');
  for (let i = 0; i < 50 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(aborted, true, 'the backend saw the connection closed');
});

test('5xx and 429 are outages (backend_unavailable); other statuses break the contract (internal)', async (t) => {
  const { backend, proxy, failures } = await setup();
  t.after(() => proxy.close());
  for (const status of [500, 502, 503, 429]) {
    backend.handler = (_r, res) => json(res, { error: { code: 'forbidden', message: 'ignored' } }, status);
    unavailable(await proxy.onPublish!(PUBLISH));
  }
  assert.deepEqual(
    failures.map((f) => [f.outcome, f.detail]),
    [
      ['server_error', 'HTTP 500'],
      ['server_error', 'HTTP 502'],
      ['server_error', 'HTTP 503'],
      ['server_error', 'HTTP 429'],
    ],
  );
  for (const status of [400, 401, 404, 302, 204]) {
    backend.handler = (_r, res) => {
      res.writeHead(status, status === 302 ? { Location: '/elsewhere' } : {});
      res.end();
    };
    await assert.rejects(
      Promise.resolve(proxy.onPublish!(PUBLISH)),
      (err: unknown) =>
        err instanceof ProxyAnswerError &&
        err.outcome === (status === 204 ? 'invalid' : 'bad_status') &&
        err.message.includes(status === 204 ? 'not JSON' : `HTTP ${status}`),
      `status ${status}`,
    );
  }
  assert.equal(proxy.health().endpoints.find((e) => e.url.endsWith('/publish'))?.breaker, 'closed');
});

test('answers that are not JSON or break the shape are failures, never an allow', async (t) => {
  const { backend, proxy, outcomes } = await setup();
  t.after(() => proxy.close());
  const bad: [string, string, 'connect' | 'subscribe' | 'publish' | 'rpc'][] = [
    ['not json', 'not JSON', 'publish'],
    ['', 'not JSON', 'publish'],
    ['[]', 'not a JSON object', 'publish'],
    ['null', 'not a JSON object', 'publish'],
    ['{"allow":false}', 'unknown field "allow"', 'publish'],
    ['{"result":5}', '"result" is not an object', 'publish'],
    ['{"result":{},"error":{"code":"forbidden"}}', 'both', 'subscribe'],
    ['{"error":"no"}', '"error" is not an object', 'subscribe'],
    ['{"error":{"code":"internal","message":"x"}}', '"error.code" is not one of', 'subscribe'],
    ['{"error":{"code":"nope"}}', '"error.code" is not one of', 'subscribe'],
    ['{"error":{"code":"forbidden","message":5}}', '"error.message" is not a string', 'subscribe'],
    ['{"error":{"code":"forbidden","extra":1}}', 'unknown field "extra"', 'subscribe'],
    ['{"result":{"data":1}}', 'unknown field "data"', 'subscribe'],
    ['{"result":{"info":"x"}}', '"result.info" is not an object', 'connect'],
    ['{"result":{"data":{"x":1}}}', 'unknown field "data"', 'connect'],
    ['{"result":{"data":1,"more":2}}', 'unknown field "more"', 'rpc'],
    ['{"result":{"data":{"__proto__":{"admin":true}}}}', 'not plain JSON data', 'publish'],
    [`${'{"result":{"data":'.repeat(1)}${'['.repeat(40)}${']'.repeat(40)}}}`, 'nested too deep', 'publish'],
  ];
  for (const [body, reason, kind] of bad) {
    backend.handler = (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    const context = {
      connect: CONNECT,
      subscribe: SUBSCRIBE,
      publish: PUBLISH,
      rpc: { ...ALICE, method: 'm', data: 1 },
    };
    const hook = { connect: proxy.onConnect, subscribe: proxy.onSubscribe, publish: proxy.onPublish, rpc: proxy.rpc }[
      kind
    ] as (c: unknown) => unknown;
    await assert.rejects(
      Promise.resolve(hook(context[kind])),
      (err: unknown) => err instanceof ProxyAnswerError && err.outcome === 'invalid' && err.message.includes(reason),
      `${kind} ${body.slice(0, 60)}`,
    );
  }
  assert.ok(outcomes.every((o) => o === 'invalid'));
});

test('an answer over maxResponseBytes is abandoned (declared or streamed): backend_unavailable', async (t) => {
  const { backend, proxy, failures } = await setup({ maxResponseBytes: 1024 });
  t.after(() => proxy.close());
  backend.handler = (_r, res) => json(res, { result: { data: 'x'.repeat(2000) } });
  unavailable(await proxy.onPublish!(PUBLISH));
  backend.handler = (_r, res) => {
    // Chunked, no Content-Length: the cap applies while reading. The backend would send 64 MiB.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < 4096 && !res.destroyed) {
        sent++;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.deepEqual(
    failures.map((f) => f.outcome),
    ['too_large', 'too_large'],
  );
  backend.handler = (_r, res) => json(res, { result: { data: 'x'.repeat(900) } });
  assert.deepEqual(await proxy.onPublish!(PUBLISH), { data: 'x'.repeat(900) }, 'under the cap: read');
});

test('the breaker opens after N consecutive failures, refuses without a request, and closes after a good probe', async (t) => {
  const { backend, proxy, outcomes } = await setup({ breaker: { failureThreshold: 3, resetAfterMs: 1000 } });
  t.after(() => proxy.close());
  const publishHealth = () => proxy.health().endpoints.find((e) => e.kinds.includes('publish'))!;
  backend.handler = (r, res) => json(res, {}, r.path === '/publish' ? 500 : 200);
  for (let i = 0; i < 2; i++) unavailable(await proxy.onPublish!(PUBLISH));
  assert.equal(publishHealth().breaker, 'closed');
  assert.equal(publishHealth().consecutiveFailures, 2);
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.equal(publishHealth().breaker, 'open');
  const sent = backend.received.length;
  const refused = await proxy.onPublish!(PUBLISH);
  unavailable(refused);
  assert.match((refused as { refuse: { message: string } }).refuse.message, /failing/);
  assert.equal(backend.received.length, sent, 'an open breaker sends nothing');
  assert.equal(outcomes.at(-1), 'breaker_open');
  // Other endpoints have their own breaker.
  assert.equal(await proxy.onSubscribe!(SUBSCRIBE), undefined);
  assert.equal(proxy.health().endpoints.find((e) => e.kinds.includes('subscribe'))!.breaker, 'closed');

  // Still failing at the probe: open again.
  await new Promise((r) => setTimeout(r, 1050));
  assert.equal(publishHealth().breaker, 'half_open');
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.equal(publishHealth().breaker, 'open');
  assert.equal(backend.received.length, sent + 2, 'one probe (plus the subscribe)');

  // Recovered: the probe closes it; during the probe, other calls are refused.
  await new Promise((r) => setTimeout(r, 1050));
  backend.handler = (_r, res) => setTimeout(() => json(res, {}), 100);
  const probe = proxy.onPublish!(PUBLISH);
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.equal(await probe, undefined);
  assert.equal(publishHealth().breaker, 'closed');
  assert.equal(publishHealth().consecutiveFailures, 0);
  assert.equal(await proxy.onPublish!(PUBLISH), undefined);
  assert.ok(publishHealth().failures >= 6, `failures counted: ${publishHealth().failures}`);
});

test('at most maxConcurrency requests reach the backend at once; the rest queue, then are refused past maxQueued', async (t) => {
  const { backend, proxy } = await setup({ maxConcurrency: 4, maxQueued: 100 });
  t.after(() => proxy.close());
  backend.handler = (_r, res) => setTimeout(() => json(res, {}), 30);
  const answers = await Promise.all(Array.from({ length: 40 }, () => proxy.onPublish!(PUBLISH)));
  assert.ok(answers.every((a) => a === undefined));
  assert.equal(backend.concurrency.max, 4, 'the backend never saw more than 4 at once');
  assert.ok(backend.connections <= 4, `keep-alive: ${backend.connections} connections for 40 requests`);
  assert.equal(proxy.health().inFlight, 0);

  const small = await setup({ maxConcurrency: 2, maxQueued: 3 });
  t.after(() => small.proxy.close());
  small.backend.handler = (_r, res) => setTimeout(() => json(res, {}), 100);
  const calls = Array.from({ length: 10 }, () => small.proxy.onPublish!(PUBLISH));
  assert.deepEqual(
    { inFlight: small.proxy.health().inFlight, queued: small.proxy.health().queued },
    {
      inFlight: 2,
      queued: 3,
    },
  );
  const results = await Promise.all(calls);
  assert.equal(results.filter((r) => r === undefined).length, 5);
  assert.equal(results.filter((r) => (r as { refuse?: unknown } | undefined)?.refuse !== undefined).length, 5);
  assert.equal(small.outcomes.filter((o) => o === 'overloaded').length, 5);
  assert.equal(small.backend.concurrency.max, 2);
});

test('a queued call whose deadline passes leaves the queue with backend_unavailable', async (t) => {
  const { backend, proxy, failures } = await setup({ maxConcurrency: 1, timeoutMs: 150 });
  t.after(() => proxy.close());
  backend.handler = (_r, res) => setTimeout(() => !res.destroyed && json(res, {}), 1000).unref();
  const [first, second] = await Promise.all([proxy.onPublish!(PUBLISH), proxy.onPublish!(PUBLISH)]);
  unavailable(first);
  unavailable(second);
  assert.deepEqual(failures.map((f) => f.outcome).sort(), ['timeout', 'timeout']);
  assert.equal(backend.received.length, 1, 'the queued call never reached the backend');
  assert.deepEqual({ inFlight: proxy.health().inFlight, queued: proxy.health().queued }, { inFlight: 0, queued: 0 });
});

test('a queued call granted a slot by a timeout in the same sweep as its own deadline is never sent', async (t) => {
  const { backend, proxy, failures } = await setup({ maxConcurrency: 1, timeoutMs: 100 });
  t.after(() => proxy.close());
  backend.handler = (_r, res) => setTimeout(() => !res.destroyed && json(res, {}), 1000).unref();
  const calls = [proxy.onPublish!(PUBLISH), proxy.onPublish!(PUBLISH)];
  while (backend.received.length === 0) await new Promise((r) => setTimeout(r, 5));
  // Both deadlines pass while the loop is busy: one sweep times the first call out, which frees its slot for the
  // second at a moment its own deadline has already passed.
  const busyUntil = performance.now() + 150;
  while (performance.now() < busyUntil);
  for (const answer of await Promise.all(calls)) unavailable(answer);
  assert.deepEqual(
    failures.map((f) => `${f.outcome} ${f.requestId === null ? 'unsent' : 'sent'}`).sort(),
    ['timeout sent', 'timeout unsent'],
    'the queued call has no request id: it was never sent',
  );
  assert.equal(proxy.health().inFlight, 0);
});

test('close() aborts calls in flight and in the queue, and refuses new ones', async () => {
  const { backend, proxy, outcomes } = await setup({ maxConcurrency: 1 });
  backend.handler = (_r, res) => setTimeout(() => !res.destroyed && json(res, {}), 5000).unref();
  const calls = [proxy.onPublish!(PUBLISH), proxy.onPublish!(PUBLISH)];
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  await proxy.close();
  assert.ok(performance.now() - started < 1000);
  for (const answer of await Promise.all(calls)) unavailable(answer);
  unavailable(await proxy.onPublish!(PUBLISH));
  assert.deepEqual(outcomes, ['closed', 'closed', 'closed']);
});

test('keep-alive: sequential calls share at most two connections', async (t) => {
  const { backend, proxy } = await setup();
  t.after(() => proxy.close());
  for (let i = 0; i < 50; i++) assert.equal(await proxy.onPublish!(PUBLISH), undefined);
  // undici reuses a socket one event-loop turn after its answer ended (against servers that close right after
  // promising keep-alive), so a call sent at once after another takes a second connection; then the two alternate.
  assert.ok(backend.connections <= 2, `${backend.connections} connections for 50 calls`);
});

test('health() lists each endpoint URL once, without credentials or query, with the calls it serves', async (t) => {
  const backend = await startNodeBackend();
  backends.push(backend);
  const base = backend.url.replace('http://', 'http://user:pass@');
  const proxy = createHttpProxy({
    connect: `${base}/hooks?key=k`,
    refresh: `${base}/hooks?key=k`,
    rpc: `${backend.url}/rpc`,
  });
  t.after(() => proxy.close());
  await proxy.onConnect!(CONNECT);
  assert.equal(backend.received[0]!.headers.authorization, `Basic ${Buffer.from('user:pass').toString('base64')}`);
  assert.equal(backend.received[0]!.path, '/hooks?key=k');
  assert.deepEqual(proxy.health(), {
    inFlight: 0,
    queued: 0,
    maxConcurrency: 64,
    endpoints: [
      {
        url: `${backend.url}/hooks`,
        kinds: ['connect', 'refresh'],
        breaker: 'closed',
        consecutiveFailures: 0,
        inFlight: 0,
        requests: 1,
        failures: 0,
      },
      {
        url: `${backend.url}/rpc`,
        kinds: ['rpc'],
        breaker: 'closed',
        consecutiveFailures: 0,
        inFlight: 0,
        requests: 0,
        failures: 0,
      },
    ],
  });
});

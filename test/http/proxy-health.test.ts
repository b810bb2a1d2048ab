// The backend proxy in the HTTP server's operations endpoints: /health gains a `proxy` section (breakers, in-flight,
// failures per endpoint), /metrics the proxy's request counter, latency histogram and breaker gauge, and the log one
// warning per endpoint and outcome (not one per failed call) plus the breaker's transitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createLogger, createMetrics, createProxyObserver, createSwitchboardServer } from '../../src/http/index.ts';
import { createHttpProxy } from '../../src/integrations/index.ts';
import { createAuthenticator, createNamespaces } from '../../src/realtime/index.ts';
import { ALICE, deadPort, json, startNodeBackend } from '../integrations/proxy/node-backend.ts';
import { SECRET } from '../helpers/realtime.ts';

test('/health and /metrics show the proxy; failures are logged once per endpoint and outcome', async (t) => {
  const backend = await startNodeBackend();
  t.after(() => backend.close());
  const dead = `http://127.0.0.1:${await deadPort()}/subscribe`;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    }) as never,
  });
  const metrics = createMetrics({ defaultMetrics: false, engineDiagnostics: false });
  const proxy = createHttpProxy({
    publish: `${backend.url}/publish?token=hidden`,
    subscribe: dead,
    breaker: { failureThreshold: 3, resetAfterMs: 60_000 },
    observer: createProxyObserver(metrics, logger),
  });
  const broker = new MemoryBroker();
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces({ chat: {} }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
      logic: proxy,
    },
    metrics,
    logger,
    proxy,
    webRoot: null,
  });
  const { port } = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    await proxy.close();
    metrics.close();
    await broker.close();
  });
  const base = `http://127.0.0.1:${port}`;

  backend.handler = (_r, res) => json(res, { error: { code: 'forbidden', message: 'no' } });
  const publish = { ...ALICE, channel: 'chat:a', namespace: 'chat', data: 1 };
  await proxy.onPublish!(publish);
  await proxy.onPublish!(publish);
  for (let i = 0; i < 5; i++) await proxy.onSubscribe!({ ...ALICE, channel: 'chat:a', namespace: 'chat' });

  const health = (await (await fetch(`${base}/health`)).json()) as { proxy: unknown };
  assert.deepEqual(health.proxy, {
    inFlight: 0,
    queued: 0,
    maxConcurrency: 64,
    endpoints: [
      {
        url: dead,
        kinds: ['subscribe'],
        breaker: 'open',
        consecutiveFailures: 3,
        inFlight: 0,
        requests: 3,
        failures: 5,
      },
      {
        url: `${backend.url}/publish`,
        kinds: ['publish'],
        breaker: 'closed',
        consecutiveFailures: 0,
        inFlight: 0,
        requests: 2,
        failures: 0,
      },
    ],
  });

  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /switchboard_proxy_requests_total\{kind="publish",outcome="refused"\} 2/);
  assert.match(text, /switchboard_proxy_requests_total\{kind="subscribe",outcome="unreachable"\} 3/);
  assert.match(text, /switchboard_proxy_requests_total\{kind="subscribe",outcome="breaker_open"\} 2/);
  assert.match(text, /switchboard_proxy_request_duration_seconds_count\{kind="publish"\} 2/);
  assert.ok(text.includes(`switchboard_proxy_breaker_state{endpoint="${backend.url}/publish"} 0`), text);
  assert.ok(text.includes(`switchboard_proxy_breaker_state{endpoint="${dead}"} 2`));
  assert.equal(text.includes('hidden'), false, 'the query (a credential, maybe) is not a label');

  const failed = lines.filter((l) => l['event'] === 'proxy_failed');
  assert.deepEqual(
    failed.map((l) => [l['outcome'], l['endpoint'], l['detail']]),
    [
      ['unreachable', dead, 'ECONNREFUSED'],
      ['breaker_open', dead, 'the breaker is open'],
    ],
    'one line per endpoint and outcome',
  );
  assert.deepEqual(
    lines.filter((l) => l['event'] === 'proxy_breaker').map((l) => [l['endpoint'], l['state'], l['level']]),
    [[dead, 'open', 40]],
  );
});

// Tests of src/http/metrics.ts: names of docs/architecture.md "Operations", bounded labels (OP-01), engine diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect, DiagnosticsChannel, WebSocketServer } from '../../src/engine/index.ts';
import { createMetrics } from '../../src/http/metrics.ts';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('the exposition names every metric of docs/architecture.md Operations, event-loop lag included', async (t) => {
  const metrics = createMetrics();
  t.after(() => metrics.close());
  metrics.messageIn('publish', 10);
  metrics.messageOut('publication', 20, 3);
  metrics.handshakeRejected('expired');
  metrics.authFailed('bad_signature');
  metrics.slowConsumer('dropped');
  metrics.brokerLatency('publish', 2);
  metrics.deliveryLatency(5);
  metrics.rateLimited('messages');
  metrics.errorSent('forbidden');
  metrics.setSubscriptions(4, 2);
  metrics.delivered(10, 7);
  metrics.delivered(0, 1000);
  metrics.errorReply('forbidden');
  metrics.malformed('bad_request');
  metrics.internalError();
  const text = await metrics.render();
  for (const name of [
    'switchboard_connections',
    'switchboard_connections_total',
    'switchboard_connections_closed_total',
    'switchboard_messages_received_total',
    'switchboard_messages_sent_total',
    'switchboard_received_bytes_total',
    'switchboard_sent_bytes_total',
    'switchboard_handshake_failures_total',
    'switchboard_auth_failures_total',
    'switchboard_slow_consumer_drops_total',
    'switchboard_broker_latency_seconds',
    'switchboard_publish_delivery_latency_seconds',
    'switchboard_rate_limited_total',
    'switchboard_errors_sent_total',
    'switchboard_subscriptions',
    'switchboard_channels',
    'switchboard_connection_duration_seconds',
    'switchboard_malformed_messages_total',
    'switchboard_internal_errors_total',
    'nodejs_eventloop_lag_seconds',
    'process_resident_memory_bytes',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.equal(value(text, 'switchboard_messages_received_total{type="publish"}'), 1);
  assert.equal(value(text, 'switchboard_received_bytes_total{type="publish"}'), 10);
  assert.equal(value(text, 'switchboard_messages_sent_total{type="publication"}'), 3);
  assert.equal(value(text, 'switchboard_sent_bytes_total{type="publication"}'), 60);
  assert.equal(value(text, 'switchboard_handshake_failures_total{reason="expired"}'), 1);
  assert.equal(value(text, 'switchboard_broker_latency_seconds_count{op="publish"}'), 1);
  assert.equal(
    value(text, 'switchboard_publish_delivery_latency_seconds_sum'),
    0.012,
    'delivered(0, ...) records nothing',
  );
  assert.equal(value(text, 'switchboard_errors_sent_total{code="forbidden"}'), 2);
  assert.equal(value(text, 'switchboard_malformed_messages_total{code="bad_request"}'), 1);
  assert.equal(value(text, 'switchboard_internal_errors_total'), 1);
  assert.equal(value(text, 'switchboard_subscriptions'), 4);
  assert.match(metrics.contentType, /^text\/plain/);
});

test('OP-01: attacker-chosen strings never become label values', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false, engineDiagnostics: false });
  t.after(() => metrics.close());
  metrics.messageIn('definitely_not_a_method', 1);
  metrics.messageIn('__proto__', 1);
  metrics.messageIn('chat:secret-room', 1);
  metrics.errorSent('made_up_code');
  metrics.rateLimited('nope' as never);
  metrics.brokerLatency('evil' as never, 1);
  for (let i = 0; i < 500; i++) metrics.handshakeRejected(`reason_${i}`);
  metrics.handshakeRejected('has space\nnewline');
  metrics.connectionOpened();
  metrics.connectionClosed(4999);
  metrics.connectionClosed(4500);
  metrics.connectionClosed(2999);
  const text = await metrics.render();
  assert.equal(value(text, 'switchboard_messages_received_total{type="other"}'), 3);
  assert.doesNotMatch(text, /definitely_not_a_method|__proto__|secret-room|made_up_code|nope|evil|newline/);
  const reasons = text.split('\n').filter((l) => l.startsWith('switchboard_handshake_failures_total{'));
  assert.ok(reasons.length <= 65, `reason label values are capped (${reasons.length})`);
  assert.equal(value(text, 'switchboard_handshake_failures_total{reason="other"}'), 437);
  assert.equal(value(text, 'switchboard_connections_closed_total{code="4500"}'), 1);
  assert.equal(value(text, 'switchboard_connections_closed_total{code="app_other"}'), 1);
  assert.equal(value(text, 'switchboard_connections_closed_total{code="other"}'), 1);
  assert.equal(value(text, 'switchboard_connections'), -2, 'the gauge follows calls; the engine pairs them');
});

test('engine diagnostics: open, close by code, handshake rejections and slow consumers are counted from a real server', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  t.after(() => metrics.close());
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/ws' });
  t.after(() => server.close({ timeoutMs: 1000 }));
  const { port } = await server.listen();
  const serverSide = once(server, 'connection');
  const client = await connect(`ws://127.0.0.1:${port}/ws`);
  const [ws] = (await serverSide) as [{ addEventListener: (type: string, fn: () => void) => void }];
  let text = await metrics.render();
  assert.equal(value(text, 'switchboard_connections'), 1);
  assert.equal(
    value(text, 'switchboard_connections_total'),
    1,
    'the client side of the same connection is not counted',
  );
  const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve()));
  client.close(1000, 'bye');
  await closed;
  // The close diagnostic is published when the TCP connection is gone: wait for it, bounded.
  for (let i = 0; i < 100 && value(await metrics.render(), 'switchboard_connections') !== 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  text = await metrics.render();
  assert.equal(value(text, 'switchboard_connections'), 0);
  assert.equal(value(text, 'switchboard_connections_closed_total{code="1000"}'), 1);
  assert.equal(value(text, 'switchboard_connection_duration_seconds_count'), 1);

  await assert.rejects(connect(`ws://127.0.0.1:${port}/elsewhere`));
  text = await metrics.render();
  assert.equal(value(text, 'switchboard_handshake_failures_total{reason="WS_ERR_UNKNOWN_PATH"}'), 1);

  diagnosticsChannel
    .channel(DiagnosticsChannel.HANDSHAKE_REJECTED)
    .publish({ status: 401, reason: 'WS_ERR_REJECTED_BY_HOOK', remoteAddress: '', url: '/ws?token=SECRET' });
  diagnosticsChannel
    .channel(DiagnosticsChannel.SLOW_CONSUMER)
    .publish({ socket: { isServer: true }, policy: 'drop', action: 'dropped', bufferedAmount: 1 });
  text = await metrics.render();
  assert.equal(text.includes('WS_ERR_REJECTED_BY_HOOK'), false, 'the hook reports its own reason');
  assert.equal(text.includes('SECRET'), false, 'AU-10: urls never reach metrics');
  assert.equal(value(text, 'switchboard_slow_consumer_drops_total{action="dropped"}'), 1);

  metrics.close();
  diagnosticsChannel
    .channel(DiagnosticsChannel.SLOW_CONSUMER)
    .publish({ socket: { isServer: true }, action: 'dropped' });
  assert.equal(
    value(await metrics.render(), 'switchboard_slow_consumer_drops_total{action="dropped"}'),
    1,
    'close() unsubscribes',
  );
});

// HTTP: the Prometheus metric definitions (names, help, labels, buckets) of docs/architecture.md "Operations".
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Every metric of the server, as registered by {@link defineMetrics}. */
export interface MetricInstruments {
  readonly connections: Gauge;
  readonly connectionsTotal: Counter;
  readonly closed: Counter;
  readonly duration: Histogram;
  readonly messagesIn: Counter;
  readonly messagesOut: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly handshakeFailures: Counter;
  readonly authFailures: Counter;
  readonly slowConsumer: Counter;
  readonly brokerLatency: Histogram;
  readonly deliveryLatency: Histogram;
  readonly rateLimited: Counter;
  readonly errorsSent: Counter;
  readonly malformed: Counter;
  readonly internalErrors: Counter;
  readonly subscriptions: Gauge;
  readonly channels: Gauge;
  readonly brokerUp: Gauge;
  readonly brokerPing: Gauge;
  readonly logicFailures: Counter;
  readonly proxyRequests: Counter;
  readonly proxyLatency: Histogram;
  readonly proxyBreaker: Gauge;
}

/**
 * Registers the server's metrics.
 * @param registry where they are registered
 * @param p prefix of their names
 * @returns the metrics, unset (the `connections` gauge included)
 */
export function defineMetrics(registry: Registry, p: string): MetricInstruments {
  const registers = [registry];
  const connections = new Gauge({ name: `${p}connections`, help: 'WebSocket connections open now', registers });
  const connectionsTotal = new Counter({
    name: `${p}connections_total`,
    help: 'WebSocket connections opened',
    registers,
  });
  const closed = new Counter({
    name: `${p}connections_closed_total`,
    help: 'WebSocket connections closed, by close code',
    labelNames: ['code'],
    registers,
  });
  const duration = new Histogram({
    name: `${p}connection_duration_seconds`,
    help: 'How long connections stayed open',
    registers,
    buckets: [1, 10, 60, 300, 1800, 3600, 14_400, 86_400],
  });
  const messagesIn = new Counter({
    name: `${p}messages_received_total`,
    help: 'Application messages received, by type',
    labelNames: ['type'],
    registers,
  });
  const messagesOut = new Counter({
    name: `${p}messages_sent_total`,
    help: 'Application messages sent, by type',
    labelNames: ['type'],
    registers,
  });
  const bytesIn = new Counter({
    name: `${p}received_bytes_total`,
    help: 'Application message bytes received, by type',
    labelNames: ['type'],
    registers,
  });
  const bytesOut = new Counter({
    name: `${p}sent_bytes_total`,
    help: 'Application message bytes sent, by type',
    labelNames: ['type'],
    registers,
  });
  const handshakeFailures = new Counter({
    name: `${p}handshake_failures_total`,
    help: 'Upgrade requests refused, by reason',
    labelNames: ['reason'],
    registers,
  });
  const authFailures = new Counter({
    name: `${p}auth_failures_total`,
    help: 'Credentials refused (handshake, connect or refresh), by reason',
    labelNames: ['reason'],
    registers,
  });
  const slowConsumer = new Counter({
    name: `${p}slow_consumer_drops_total`,
    help: 'Sends past the high-water mark, by action taken',
    labelNames: ['action'],
    registers,
  });
  const brokerLatency = new Histogram({
    name: `${p}broker_latency_seconds`,
    help: 'Broker operation latency',
    labelNames: ['op'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const deliveryLatency = new Histogram({
    name: `${p}publish_delivery_latency_seconds`,
    help: 'From publish accepted to delivery written to a subscriber',
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const rateLimited = new Counter({
    name: `${p}rate_limited_total`,
    help: 'Actions refused by a rate or count limit',
    labelNames: ['limit'],
    registers,
  });
  const errorsSent = new Counter({
    name: `${p}errors_sent_total`,
    help: 'Error replies sent, by protocol error code',
    labelNames: ['code'],
    registers,
  });
  const malformed = new Counter({
    name: `${p}malformed_messages_total`,
    help: 'Messages refused before dispatch (bad data, unknown type, schema), by error code',
    labelNames: ['code'],
    registers,
  });
  const internalErrors = new Counter({
    name: `${p}internal_errors_total`,
    help: 'Unexpected exceptions caught by the realtime layer',
    registers,
  });
  const subscriptions = new Gauge({
    name: `${p}subscriptions`,
    help: 'Channel subscriptions held by local connections',
    registers,
  });
  const channels = new Gauge({
    name: `${p}channels`,
    help: 'Channels with at least one local subscriber',
    registers,
  });
  const brokerUp = new Gauge({
    name: `${p}broker_up`,
    help: 'Whether the broker answered its last health check (1) or not (0)',
    registers,
  });
  const brokerPing = new Gauge({
    name: `${p}broker_ping_seconds`,
    help: 'Round trip of the last broker health check (Redis PING)',
    registers,
  });
  const logicFailures = new Counter({
    name: `${p}logic_failures_total`,
    help: 'Calls to the server logic (hooks, RPC) that threw, missed their deadline or answered garbage, by hook and reason',
    labelNames: ['hook', 'reason'],
    registers,
  });
  const proxyRequests = new Counter({
    name: `${p}proxy_requests_total`,
    help: 'Calls of the HTTP proxy to the backend, by request kind and outcome (docs/backend-proxy.md)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const proxyLatency = new Histogram({
    name: `${p}proxy_request_duration_seconds`,
    help: 'Duration of the HTTP proxy calls to the backend, queueing included, by request kind',
    labelNames: ['kind'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const proxyBreaker = new Gauge({
    name: `${p}proxy_breaker_state`,
    help: 'Circuit breaker of each proxy endpoint: 0 closed, 1 half-open, 2 open',
    labelNames: ['endpoint'],
    registers,
  });
  return {
    connections,
    connectionsTotal,
    closed,
    duration,
    messagesIn,
    messagesOut,
    bytesIn,
    bytesOut,
    handshakeFailures,
    authFailures,
    slowConsumer,
    brokerLatency,
    deliveryLatency,
    rateLimited,
    errorsSent,
    malformed,
    internalErrors,
    subscriptions,
    channels,
    brokerUp,
    brokerPing,
    logicFailures,
    proxyRequests,
    proxyLatency,
    proxyBreaker,
  };
}

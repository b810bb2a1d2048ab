// HTTP: Prometheus metrics. Subscribes to the engine's diagnostics channels; labels come from bounded sets only.
import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CloseCode, DiagnosticsChannel } from '../engine/index.ts';
import { DisconnectCode, ErrorCode } from '../messages/index.ts';
import type { RealtimeObserver } from '../realtime/index.ts';

/** Application message types, the only values of the `type` label; anything else is counted as `other`. */
export const MESSAGE_TYPES: readonly string[] = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'send',
  'typing',
  'history',
  'presence',
  'refresh',
  'ping',
  'stats',
  'batch',
  'connected',
  'subscribed',
  'unsubscribed',
  'publication',
  'join',
  'leave',
  'reply',
  'error',
  'disconnect',
  'pong',
];

/** Broker operations, the only values of the `op` label of the broker latency histogram. */
export type BrokerOperation = 'publish' | 'history' | 'presence' | 'subscribe' | 'unsubscribe' | 'other';
const BROKER_OPERATIONS: ReadonlySet<string> = new Set<BrokerOperation>([
  'publish',
  'history',
  'presence',
  'subscribe',
  'unsubscribe',
  'other',
]);

/** Which limit tripped: the values of the `limit` label. */
export type RateLimitKind = 'messages' | 'bytes' | 'connections' | 'subscriptions' | 'connections_per_user';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * Registry to fill.
   * @default a new Registry - tests and several servers in one process must not share counters
   */
  readonly registry?: Registry;
  /**
   * Prefix of our metric names.
   * @default 'switchboard_'
   */
  readonly prefix?: string;
  /**
   * Whether Node's default metrics are collected, event-loop lag (`nodejs_eventloop_lag_seconds`) among them.
   * @default true
   */
  readonly defaultMetrics?: boolean;
  /**
   * Whether the engine's diagnostics channels are subscribed (connections, close codes, handshake rejections,
   * slow consumers).
   * @default true
   */
  readonly engineDiagnostics?: boolean;
}

/**
 * Caps the distinct values a label takes: a value must look like an identifier and the set of values seen stays
 * under `max`, otherwise it is counted as `other` (docs/security-cases.md OP-01: no label from attacker-chosen names).
 */
class LabelGuard {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #allowed: ReadonlySet<string> | null;

  constructor(max: number, allowed: Iterable<string> | null = null) {
    this.#max = max;
    this.#allowed = allowed === null ? null : new Set(allowed);
  }

  label(value: unknown): string {
    const s = typeof value === 'number' ? String(value) : value;
    if (typeof s !== 'string' || !/^[A-Za-z0-9_]{1,48}$/.test(s)) return 'other';
    if (this.#allowed !== null) return this.#allowed.has(s) ? s : 'other';
    if (this.#seen.has(s)) return s;
    if (this.#seen.size >= this.#max) return 'other';
    this.#seen.add(s);
    return s;
  }
}

function closeCodeLabel(code: unknown): string {
  if (typeof code !== 'number' || !Number.isInteger(code)) return 'other';
  if (code >= 1000 && code <= 1015) return String(code);
  return (Object.values(DisconnectCode) as number[]).includes(code)
    ? String(code)
    : code >= 3000 && code <= 4999
      ? 'app_other'
      : 'other';
}

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The server's metrics. The realtime layer calls the typed methods (a `Metrics` is a `RealtimeObserver`, so it can be
 * passed to the hub as is); engine events arrive through `node:diagnostics_channel`. Built by {@link createMetrics}.
 */
export class Metrics implements RealtimeObserver {
  /** The registry holding every metric; serve it with {@link Metrics.render}. */
  readonly registry: Registry;
  readonly #connections: Gauge;
  readonly #connectionsTotal: Counter;
  readonly #closed: Counter;
  readonly #duration: Histogram;
  readonly #messagesIn: Counter;
  readonly #messagesOut: Counter;
  readonly #bytesIn: Counter;
  readonly #bytesOut: Counter;
  readonly #handshakeFailures: Counter;
  readonly #authFailures: Counter;
  readonly #slowConsumer: Counter;
  readonly #brokerLatency: Histogram;
  readonly #deliveryLatency: Histogram;
  readonly #rateLimited: Counter;
  readonly #errorsSent: Counter;
  readonly #malformed: Counter;
  readonly #internalErrors: Counter;
  readonly #subscriptions: Gauge;
  readonly #channels: Gauge;
  readonly #brokerUp: Gauge;
  readonly #brokerPing: Gauge;
  readonly #types = new LabelGuard(0, MESSAGE_TYPES);
  readonly #reasons = new LabelGuard(64);
  readonly #actions = new LabelGuard(8);
  readonly #errorCodes = new LabelGuard(0, Object.values(ErrorCode));
  readonly #limits = new LabelGuard(0, ['messages', 'bytes', 'connections', 'subscriptions', 'connections_per_user']);
  readonly #unsubscribe: Array<() => void> = [];

  /** @param options see {@link MetricsOptions} */
  constructor(options: MetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    const p = options.prefix ?? 'switchboard_';
    this.#connections = new Gauge({ name: `${p}connections`, help: 'WebSocket connections open now', registers });
    this.#connectionsTotal = new Counter({
      name: `${p}connections_total`,
      help: 'WebSocket connections opened',
      registers,
    });
    this.#closed = new Counter({
      name: `${p}connections_closed_total`,
      help: 'WebSocket connections closed, by close code',
      labelNames: ['code'],
      registers,
    });
    this.#duration = new Histogram({
      name: `${p}connection_duration_seconds`,
      help: 'How long connections stayed open',
      registers,
      buckets: [1, 10, 60, 300, 1800, 3600, 14_400, 86_400],
    });
    this.#messagesIn = new Counter({
      name: `${p}messages_received_total`,
      help: 'Application messages received, by type',
      labelNames: ['type'],
      registers,
    });
    this.#messagesOut = new Counter({
      name: `${p}messages_sent_total`,
      help: 'Application messages sent, by type',
      labelNames: ['type'],
      registers,
    });
    this.#bytesIn = new Counter({
      name: `${p}received_bytes_total`,
      help: 'Application message bytes received, by type',
      labelNames: ['type'],
      registers,
    });
    this.#bytesOut = new Counter({
      name: `${p}sent_bytes_total`,
      help: 'Application message bytes sent, by type',
      labelNames: ['type'],
      registers,
    });
    this.#handshakeFailures = new Counter({
      name: `${p}handshake_failures_total`,
      help: 'Upgrade requests refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#authFailures = new Counter({
      name: `${p}auth_failures_total`,
      help: 'Credentials refused (handshake, connect or refresh), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#slowConsumer = new Counter({
      name: `${p}slow_consumer_drops_total`,
      help: 'Sends past the high-water mark, by action taken',
      labelNames: ['action'],
      registers,
    });
    this.#brokerLatency = new Histogram({
      name: `${p}broker_latency_seconds`,
      help: 'Broker operation latency',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.#deliveryLatency = new Histogram({
      name: `${p}publish_delivery_latency_seconds`,
      help: 'From publish accepted to delivery written to a subscriber',
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.#rateLimited = new Counter({
      name: `${p}rate_limited_total`,
      help: 'Actions refused by a rate or count limit',
      labelNames: ['limit'],
      registers,
    });
    this.#errorsSent = new Counter({
      name: `${p}errors_sent_total`,
      help: 'Error replies sent, by protocol error code',
      labelNames: ['code'],
      registers,
    });
    this.#malformed = new Counter({
      name: `${p}malformed_messages_total`,
      help: 'Messages refused before dispatch (bad data, unknown type, schema), by error code',
      labelNames: ['code'],
      registers,
    });
    this.#internalErrors = new Counter({
      name: `${p}internal_errors_total`,
      help: 'Unexpected exceptions caught by the realtime layer',
      registers,
    });
    this.#subscriptions = new Gauge({
      name: `${p}subscriptions`,
      help: 'Channel subscriptions held by local connections',
      registers,
    });
    this.#channels = new Gauge({
      name: `${p}channels`,
      help: 'Channels with at least one local subscriber',
      registers,
    });
    this.#brokerUp = new Gauge({
      name: `${p}broker_up`,
      help: 'Whether the broker answered its last health check (1) or not (0)',
      registers,
    });
    this.#brokerPing = new Gauge({
      name: `${p}broker_ping_seconds`,
      help: 'Round trip of the last broker health check (Redis PING)',
      registers,
    });
    this.#connections.set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    if (options.engineDiagnostics ?? true) this.#subscribeEngine();
  }

  #subscribe(name: string, fn: (message: unknown) => void): void {
    diagnosticsChannel.subscribe(name, fn);
    this.#unsubscribe.push(() => diagnosticsChannel.unsubscribe(name, fn));
  }

  #subscribeEngine(): void {
    // Payload shapes: src/engine/diagnostics.ts. Client-role sockets (our own outgoing connections) are not counted.
    const isServer = (m: unknown): boolean =>
      (m as { socket?: { isServer?: unknown } } | null)?.socket?.isServer !== false;
    this.#subscribe(DiagnosticsChannel.OPEN, (m) => {
      if (isServer(m)) this.connectionOpened();
    });
    this.#subscribe(DiagnosticsChannel.CLOSE, (m) => {
      if (!isServer(m)) return;
      // Counted by the code the closing end decided (a Close 4010 the peer never answered is a 4010, not a 1006).
      const { code, decidedCode, durationMs } = (m ?? {}) as {
        code?: unknown;
        decidedCode?: unknown;
        durationMs?: unknown;
      };
      const counted =
        typeof decidedCode === 'number' ? decidedCode : typeof code === 'number' ? code : CloseCode.ABNORMAL_CLOSURE;
      this.connectionClosed(counted, typeof durationMs === 'number' ? durationMs : undefined);
    });
    this.#subscribe(DiagnosticsChannel.HANDSHAKE_REJECTED, (m) => {
      const { reason } = (m ?? {}) as { reason?: unknown };
      // The accept hook reports its own, finer reason (e.g. `expired`) through handshakeRejected().
      if (reason === 'WS_ERR_REJECTED_BY_HOOK') return;
      this.#handshakeFailures.inc({ reason: this.#reasons.label(reason) });
    });
    this.#subscribe(DiagnosticsChannel.SLOW_CONSUMER, (m) => {
      const { action } = (m ?? {}) as { action?: unknown };
      this.#slowConsumer.inc({ action: this.#actions.label(action) });
    });
  }

  /** Counts a connection opened (called by the engine subscription; call it only when engine diagnostics are off). */
  connectionOpened(): void {
    this.#connections.inc();
    this.#connectionsTotal.inc();
  }

  /**
   * Counts a connection closed.
   * @param code the close code (1006 when the connection dropped)
   * @param durationMs how long it was open
   */
  connectionClosed(code: number, durationMs?: number): void {
    this.#connections.dec();
    this.#closed.inc({ code: closeCodeLabel(code) });
    if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs >= 0)
      this.#duration.observe(durationMs / 1000);
  }

  /**
   * Counts one application message received.
   * @param type its `type` (unknown types count as `other`; unparseable frames pass `'invalid'` or anything)
   * @param bytes its encoded size
   */
  messageIn(type: string, bytes: number): void {
    const label = { type: this.#types.label(type) };
    this.#messagesIn.inc(label);
    if (bytes > 0) this.#bytesIn.inc(label, bytes);
  }

  /**
   * Counts one application message sent (a broadcast counts once per recipient).
   * @param type its `type`
   * @param bytes its encoded size
   * @param count recipients
   */
  messageOut(type: string, bytes: number, count = 1): void {
    if (count <= 0) return;
    const label = { type: this.#types.label(type) };
    this.#messagesOut.inc(label, count);
    if (bytes > 0) this.#bytesOut.inc(label, bytes * count);
  }

  /**
   * Counts an upgrade refused by the realtime layer's accept hook.
   * @param reason a bounded reason: an `AuthFailureReason`, an `OriginRefusal`, `rate_limited`, ...
   */
  handshakeRejected(reason: string): void {
    this.#handshakeFailures.inc({ reason: this.#reasons.label(reason) });
  }

  /**
   * Counts a refused credential, wherever it was presented.
   * @param reason an `AuthFailureReason`
   */
  authFailed(reason: string): void {
    this.#authFailures.inc({ reason: this.#reasons.label(reason) });
  }

  /**
   * Counts a slow-consumer action taken by the realtime layer itself (the engine's are counted automatically).
   * @param action e.g. `dropped`, `closed`
   */
  slowConsumer(action: string): void {
    this.#slowConsumer.inc({ action: this.#actions.label(action) });
  }

  /**
   * Records a broker operation's latency.
   * @param op the operation
   * @param ms its duration in milliseconds
   */
  brokerLatency(op: BrokerOperation | string, ms: number): void {
    if (Number.isFinite(ms) && ms >= 0)
      this.#brokerLatency.observe({ op: BROKER_OPERATIONS.has(op) ? op : 'other' }, ms / 1000);
  }

  /**
   * Records publish-to-delivery latency.
   * @param ms from the broker accepting the publish to the delivery being written
   */
  deliveryLatency(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.#deliveryLatency.observe(ms / 1000);
  }

  /**
   * Records `count` deliveries of one publication (the `RealtimeObserver` form of {@link Metrics.deliveryLatency}).
   * @param count subscribers written to
   * @param latencyMs from the broker accepting the publish to the writes
   */
  delivered(count: number, latencyMs: number): void {
    if (count > 0) this.deliveryLatency(latencyMs);
  }

  /**
   * Counts an `error` reply (the `RealtimeObserver` name of {@link Metrics.errorSent}).
   * @param code its protocol `ErrorCode`
   */
  errorReply(code: string): void {
    this.errorSent(code);
  }

  /**
   * Counts a message refused before dispatch.
   * @param code the protocol `ErrorCode` it was answered with
   */
  malformed(code: string): void {
    this.#malformed.inc({ code: this.#errorCodes.label(code) });
  }

  /** Counts an unexpected exception; the error itself goes to the log, never to a label. */
  internalError(): void {
    this.#internalErrors.inc();
  }

  /**
   * Counts an action refused by a limit.
   * @param limit which limit
   */
  rateLimited(limit: RateLimitKind): void {
    this.#rateLimited.inc({ limit: this.#limits.label(limit) });
  }

  /**
   * Counts an `error` reply.
   * @param code its protocol `ErrorCode`
   */
  errorSent(code: string): void {
    this.#errorsSent.inc({ code: this.#errorCodes.label(code) });
  }

  /**
   * Sets the subscription and channel gauges.
   * @param subscriptions subscriptions held by local connections
   * @param channels channels with a local subscriber
   */
  setSubscriptions(subscriptions: number, channels: number): void {
    this.#subscriptions.set(subscriptions);
    this.#channels.set(channels);
  }

  /**
   * Records the broker's health (checked at each scrape): `broker_up` and `broker_ping_seconds`.
   * @param health the broker's `health()` result
   */
  setBroker(health: { readonly ok: boolean; readonly latencyMs?: number }): void {
    this.#brokerUp.set(health.ok ? 1 : 0);
    if (health.ok && health.latencyMs !== undefined && Number.isFinite(health.latencyMs))
      this.#brokerPing.set(health.latencyMs / 1000);
  }

  /** The Content-Type of {@link Metrics.render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** @returns the exposition text for `GET /metrics` */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Unsubscribes from the diagnostics channels. The registry keeps its values. */
  close(): void {
    for (const fn of this.#unsubscribe.splice(0)) fn();
  }
}

/**
 * Builds the metrics of docs/architecture.md "Operations".
 * @param options registry, prefix, and which collectors run
 * @returns the metrics; call `close()` when the server stops
 * @example
 * ```ts
 * const metrics = createMetrics();
 * metrics.messageIn('publish', 120);
 * res.setHeader('Content-Type', metrics.contentType).end(await metrics.render());
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}

// HTTP: Prometheus metrics: the typed API the realtime layer calls, and the `/metrics` text (parts in metric-*.ts).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ErrorCode } from '../messages/index.ts';
import {
  LOGIC_FAILURE_REASONS,
  LOGIC_HOOKS,
  type LogicFailureReason,
  type LogicHook,
  type RealtimeObserver,
} from '../realtime/index.ts';
import {
  BREAKER_STATE_VALUE,
  PROXY_OUTCOMES,
  PROXY_REQUEST_KINDS,
  type ProxyHealth,
  type ProxyOutcome,
  type ProxyRequestKind,
} from '../integrations/index.ts';
import { subscribeEngineDiagnostics } from './metric-engine-events.ts';
import { defineMetrics, type MetricInstruments } from './metric-definitions.ts';
import { FeedMetrics } from './metric-feeds.ts';
import {
  BROKER_OPERATIONS,
  type BrokerOperation,
  closeCodeLabel,
  LabelGuard,
  MESSAGE_TYPES,
  type RateLimitKind,
} from './metric-labels.ts';

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
 * The server's metrics. The realtime layer calls the typed methods (a `Metrics` is a `RealtimeObserver`, so it can be
 * passed to the hub as is); engine events arrive through `node:diagnostics_channel`. Built by {@link createMetrics}.
 */
export class Metrics implements RealtimeObserver {
  /** The registry holding every metric; serve it with {@link Metrics.render}. */
  readonly registry: Registry;
  /** The prefix of our metric names (other metric sets, as webhooks', register with it). */
  readonly prefix: string;
  readonly #m: MetricInstruments;
  readonly #feeds: FeedMetrics;
  readonly #types = new LabelGuard(0, MESSAGE_TYPES);
  readonly #reasons = new LabelGuard(64);
  readonly #actions = new LabelGuard(8);
  readonly #errorCodes = new LabelGuard(0, Object.values(ErrorCode));
  readonly #limits = new LabelGuard(0, ['messages', 'bytes', 'connections', 'subscriptions', 'connections_per_user']);
  readonly #unsubscribe: Array<() => void> = [];
  readonly #logicHooks = new LabelGuard(0, LOGIC_HOOKS);
  readonly #logicReasons = new LabelGuard(0, LOGIC_FAILURE_REASONS);
  readonly #proxyKinds = new LabelGuard(0, PROXY_REQUEST_KINDS);
  readonly #proxyOutcomes = new LabelGuard(0, PROXY_OUTCOMES);

  /** @param options see {@link MetricsOptions} */
  constructor(options: MetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.prefix = options.prefix ?? 'switchboard_';
    this.#m = defineMetrics(this.registry, this.prefix);
    this.#feeds = new FeedMetrics(this.registry, this.prefix);
    this.#m.connections.set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    if (options.engineDiagnostics ?? true)
      this.#unsubscribe.push(
        ...subscribeEngineDiagnostics({
          opened: () => this.connectionOpened(),
          closed: (code, durationMs) => this.connectionClosed(code, durationMs),
          handshakeRejected: (reason) => this.#m.handshakeFailures.inc({ reason: this.#reasons.label(reason) }),
          slowConsumer: (action) => this.#m.slowConsumer.inc({ action: this.#actions.label(action) }),
        }),
      );
  }

  /** Counts a connection opened (called by the engine subscription; call it only when engine diagnostics are off). */
  connectionOpened(): void {
    this.#m.connections.inc();
    this.#m.connectionsTotal.inc();
  }

  /**
   * Counts a connection closed.
   * @param code the close code (1006 when the connection dropped)
   * @param durationMs how long it was open
   */
  connectionClosed(code: number, durationMs?: number): void {
    this.#m.connections.dec();
    this.#m.closed.inc({ code: closeCodeLabel(code) });
    if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs >= 0)
      this.#m.duration.observe(durationMs / 1000);
  }

  /**
   * Counts one application message received.
   * @param type its `type` (unknown types count as `other`; unparseable frames pass `'invalid'` or anything)
   * @param bytes its encoded size
   */
  messageIn(type: string, bytes: number): void {
    const label = { type: this.#types.label(type) };
    this.#m.messagesIn.inc(label);
    if (bytes > 0) this.#m.bytesIn.inc(label, bytes);
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
    this.#m.messagesOut.inc(label, count);
    if (bytes > 0) this.#m.bytesOut.inc(label, bytes * count);
  }

  /**
   * Counts an upgrade refused by the realtime layer's accept hook.
   * @param reason a bounded reason: an `AuthFailureReason`, an `OriginRefusal`, `rate_limited`, ...
   */
  handshakeRejected(reason: string): void {
    this.#m.handshakeFailures.inc({ reason: this.#reasons.label(reason) });
  }

  /**
   * Counts a refused credential, wherever it was presented.
   * @param reason an `AuthFailureReason`
   */
  authFailed(reason: string): void {
    this.#m.authFailures.inc({ reason: this.#reasons.label(reason) });
  }

  /**
   * Counts a slow-consumer action taken by the realtime layer itself (the engine's are counted automatically).
   * @param action e.g. `dropped`, `closed`
   */
  slowConsumer(action: string): void {
    this.#m.slowConsumer.inc({ action: this.#actions.label(action) });
  }

  /**
   * Counts publications a conflating connection skipped (docs/feeds.md).
   * @param skipped how many were replaced by newer ones of their key
   */
  feedConflated(skipped: number): void {
    this.#feeds.conflated(skipped);
  }

  /**
   * Records one outbound batch (docs/feeds.md).
   * @param publications how many publications it held
   */
  feedBatchSent(publications: number): void {
    this.#feeds.batchSent(publications);
  }

  /**
   * Records a broker operation's latency.
   * @param op the operation
   * @param ms its duration in milliseconds
   */
  brokerLatency(op: BrokerOperation | string, ms: number): void {
    if (Number.isFinite(ms) && ms >= 0)
      this.#m.brokerLatency.observe({ op: BROKER_OPERATIONS.has(op) ? op : 'other' }, ms / 1000);
  }

  /**
   * Records publish-to-delivery latency.
   * @param ms from the broker accepting the publish to the delivery being written
   */
  deliveryLatency(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.#m.deliveryLatency.observe(ms / 1000);
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
    this.#m.malformed.inc({ code: this.#errorCodes.label(code) });
  }

  /** Counts an unexpected exception; the error itself goes to the log, never to a label. */
  internalError(): void {
    this.#m.internalErrors.inc();
  }

  /**
   * Counts a failed call to the server logic (the details go to the log).
   * @param hook which hook (or `rpc`)
   * @param reason `threw`, `timeout` or `invalid`
   */
  logicFailed(hook: LogicHook, reason: LogicFailureReason): void {
    this.#m.logicFailures.inc({ hook: this.#logicHooks.label(hook), reason: this.#logicReasons.label(reason) });
  }

  /**
   * Counts an action refused by a limit.
   * @param limit which limit
   */
  rateLimited(limit: RateLimitKind): void {
    this.#m.rateLimited.inc({ limit: this.#limits.label(limit) });
  }

  /**
   * Counts an `error` reply.
   * @param code its protocol `ErrorCode`
   */
  errorSent(code: string): void {
    this.#m.errorsSent.inc({ code: this.#errorCodes.label(code) });
  }

  /**
   * Sets the subscription and channel gauges.
   * @param subscriptions subscriptions held by local connections
   * @param channels channels with a local subscriber
   */
  setSubscriptions(subscriptions: number, channels: number): void {
    this.#m.subscriptions.set(subscriptions);
    this.#m.channels.set(channels);
  }

  /**
   * Records the broker's health (checked at each scrape): `broker_up` and `broker_ping_seconds`.
   * @param health the broker's `health()` result
   */
  setBroker(health: { readonly ok: boolean; readonly latencyMs?: number }): void {
    this.#m.brokerUp.set(health.ok ? 1 : 0);
    if (health.ok && health.latencyMs !== undefined && Number.isFinite(health.latencyMs))
      this.#m.brokerPing.set(health.latencyMs / 1000);
  }

  /**
   * Counts a call of the HTTP proxy and records its duration.
   * @param kind the request kind
   * @param outcome how it ended
   * @param durationMs from the call to its end, queueing included
   */
  proxyRequest(kind: ProxyRequestKind, outcome: ProxyOutcome, durationMs: number): void {
    const label = this.#proxyKinds.label(kind);
    this.#m.proxyRequests.inc({ kind: label, outcome: this.#proxyOutcomes.label(outcome) });
    if (Number.isFinite(durationMs) && durationMs >= 0)
      this.#m.proxyLatency.observe({ kind: label }, durationMs / 1000);
  }

  /**
   * Records the proxy's breakers (checked at each scrape). The endpoint label is the configured URL without user
   * info or query: bounded by the configuration, never by peers.
   * @param health the proxy's `health()`
   */
  setProxy(health: ProxyHealth): void {
    for (const endpoint of health.endpoints)
      this.#m.proxyBreaker.set({ endpoint: endpoint.url }, BREAKER_STATE_VALUE[endpoint.breaker]);
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

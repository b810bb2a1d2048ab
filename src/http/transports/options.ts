// HTTP transports: the options of the SSE and long-polling sessions, their defaults and why.

/** Options of the HTTP transports (`SwitchboardServerOptions.httpTransports`). */
export interface HttpTransportOptions {
  /**
   * Serve `/http/stream`, `/http/poll` and `/http/send`.
   * @default true: clients behind a proxy that blocks WebSocket fall back to them by themselves
   */
  readonly enabled?: boolean;
  /**
   * How long a long poll is held without messages before it is answered empty, in ms.
   * @default 25000: under the 30 s idle timeout of common proxies and load balancers
   */
  readonly pollTimeoutMs?: number;
  /**
   * How long a long-polling session lives with no poll held, in ms; then it ends as a cut connection (1006).
   * @default 60000: two poll timeouts and more, so one lost poll and a slow retry do not end the session
   */
  readonly sessionTimeoutMs?: number;
  /**
   * Period of the `: keepalive` comment on an event stream, in ms.
   * @default 15000: under the idle timeouts of proxies, and what docs/protocol.md § 15.2 promises clients
   */
  readonly keepaliveMs?: number;
  /**
   * How long a node waits for the node holding a session to answer a forwarded send (a forwarded poll: this plus
   * the poll timeout), in ms; then 503 `unavailable`.
   * @default 5000: a node alive answers within milliseconds; a dead one should not hold the client longer
   */
  readonly forwardTimeoutMs?: number;
  /**
   * Requests forwarded to other nodes and waiting for their answer at once, and forwarded requests served at once;
   * beyond, 503 `unavailable` at once.
   * @default 1024: held polls of sessions on other nodes included, far more than a node's own work at once
   */
  readonly maxForwardedInFlight?: number;
  /**
   * Unacknowledged messages a long-polling session holds at most; one more closes it as a slow consumer (4010).
   * @default 10000: the byte bound (`slowConsumerBytes`) usually acts first; this bounds tiny messages too
   */
  readonly maxQueuedMessages?: number;
  /**
   * Messages in one poll answer at most; the rest come with the next poll.
   * @default 1000: a bounded answer, still few round trips to catch up
   */
  readonly maxMessagesPerAnswer?: number;
}

/** The options with their defaults applied. */
export type HttpTransportSettings = Required<HttpTransportOptions>;

/**
 * Applies the defaults and checks the values.
 * @param options What was configured.
 * @returns The settings.
 * @throws {RangeError} For a value that is not a positive integer.
 */
export function httpTransportSettings(options: HttpTransportOptions = {}): HttpTransportSettings {
  const settings: HttpTransportSettings = {
    enabled: options.enabled ?? true,
    pollTimeoutMs: options.pollTimeoutMs ?? 25_000,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 60_000,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    forwardTimeoutMs: options.forwardTimeoutMs ?? 5000,
    maxForwardedInFlight: options.maxForwardedInFlight ?? 1024,
    maxQueuedMessages: options.maxQueuedMessages ?? 10_000,
    maxMessagesPerAnswer: options.maxMessagesPerAnswer ?? 1000,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (name === 'enabled') continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new RangeError(`Cannot use httpTransports.${name} "${value}": expected a positive integer`);
  }
  return settings;
}

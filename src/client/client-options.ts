// Client SDK (Node-free): what a Client is configured with and what it reports: options, states, figures, events.
import type {
  Codec,
  ConnectedMessage,
  DisconnectMessage,
  ErrorMessage,
  JoinMessage,
  LeaveMessage,
  PublicationMessage,
  PublishReply,
  TypingEventMessage,
  UnsubscribedMessage,
} from '../messages/core.ts';
import type { BackoffOptions } from './backoff.ts';
import type { BreakerOptions, BreakerState } from './breaker.ts';
import type { ClientError } from './errors.ts';
import type { OutboxEntry, OutboxOptions } from './outbox.ts';
import type { GapEvent } from './subscription-events.ts';
import type { Clock } from './timers.ts';
import type { FetchFunction } from './http-transport.ts';
import type { TransportFactory, TransportKind } from './transport.ts';

/** Reconnect policy: the backoff, and when to give up. */
export interface ReconnectOptions extends BackoffOptions {
  /**
   * Failed reconnect attempts in a row after which the client stops: state `closed`, `statechange` reason
   * `max_attempts`, waiters rejected with `closed`. A successful connection resets the count.
   * @default Infinity: a client on a flaky network keeps trying (the backoff caps the cost); set it where a user must
   *   be told the service is gone
   */
  readonly maxAttempts?: number;
}

/** Options of {@link Client}. */
export interface ClientOptions {
  /** The server's WebSocket URL, e.g. `ws://127.0.0.1:8080/ws` (the HTTP transports derive theirs from it). */
  readonly url: string;
  /**
   * Opens a WebSocket. Browser: `(u, p) => new WebSocket(u, p)`; Node: `(u, p) => createWebSocket(u, { protocols: p })`
   * from `switchboard/engine`. Required when `transports` lists `'websocket'`.
   * @default undefined: without it the client uses the HTTP transports only
   */
  readonly transport?: TransportFactory;
  /**
   * The transports to use, in order of preference (docs/protocol.md § 15). The client moves to the next one when an
   * attempt fails before `connected` (refused, closed, or silent for `transportTimeoutMs`: a proxy that accepts the
   * WebSocket upgrade and swallows frames), and while on a fallback it probes the first one every
   * `websocketRetryMs` and moves back when it answers.
   * @default ['websocket', 'sse', 'polling'], less those that cannot work here (no `transport`; no `fetch`, or a
   *   binary codec: the HTTP transports carry JSON only)
   */
  readonly transports?: readonly TransportKind[];
  /**
   * Time from opening a transport to `connected` after which the next transport is tried. Not on the last one, nor on
   * one that already worked in this client (a slow handshake there means a loaded server): `connectTimeoutMs` applies
   * there, and after it the next transport is tried too.
   * @default 5000: a WebSocket that opened but brought no `connected` in 5 s is held by a proxy that swallows frames;
   *   a healthy handshake and authentication take milliseconds
   */
  readonly transportTimeoutMs?: number;
  /**
   * Pause before the preferred transport is tried again in the background while on a fallback, in ms; doubled after
   * each failed probe, up to 32 times, with jitter (50-100 %).
   * @default 10000: back on WebSocket within seconds once a network allows it, at the price of one small probe
   */
  readonly websocketRetryMs?: number;
  /**
   * The `fetch` of the HTTP transports.
   * @default the global `fetch` (browsers, Node 18+)
   */
  readonly fetch?: FetchFunction;
  /**
   * Base URL of the HTTP transports' endpoints (`<httpUrl>/http/stream`, `/http/poll`, `/http/send`).
   * @default derived from `url`: `ws` becomes `http`, `wss` `https`, and a last path segment `/ws` is dropped
   */
  readonly httpUrl?: string;
  /**
   * Sends cookies with the HTTP transports' cross-origin requests (`credentials: 'include'`), for a server that
   * authenticates by cookie from another origin. Same-origin requests carry cookies either way.
   * @default false: a token in `Authorization` needs no cookie, and cross-origin cookies widen what a page may do
   */
  readonly withCredentials?: boolean;
  /** A fixed JWT sent in `connect`. @default undefined: anonymous unless `getToken` is given */
  readonly token?: string;
  /**
   * Called before every connection and again before the token expires (the new token is sent with `refresh`, without
   * reconnecting). Return undefined for anonymous. Throw a `ClientError` with code `unauthorized` to stop for good;
   * any other error is retried with backoff.
   * @default undefined: `token` is used
   */
  readonly getToken?: () => Promise<string | undefined>;
  /**
   * Wire encoding: the built-in JSON, or a `Codec` from `switchboard/messages`, e.g. `createCodec(Subprotocol.MSGPACK)`.
   * @default 'json': readable in devtools, and the browser bundle carries no schema library or MessagePack codec
   */
  readonly codec?: 'json' | Codec;
  /** Client name and version sent in `connect`, for the server's logs. @default undefined */
  readonly name?: string;
  /**
   * Time a request may wait for its answer before it fails with `timeout`.
   * @default 10000: far above a healthy round trip, short enough for a UI to react
   */
  readonly requestTimeoutMs?: number;
  /**
   * Time from opening the socket to `connected` before the attempt is abandoned and retried.
   * @default 10000: the server's handshake and auth deadlines are 10 s and 5 s
   */
  readonly connectTimeoutMs?: number;
  /**
   * Reconnect backoff and attempt cap, or false to never reconnect by itself.
   * @default BACKOFF_DEFAULTS (500 ms, 20 s, x2, full jitter) and no cap
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * Idle time after which the client sends an application `ping` (browsers cannot send ping frames), in ms; 0 disables.
   * @default 20000: under common proxy idle timeouts (60 s) and cheap
   */
  readonly pingIntervalMs?: number;
  /**
   * Time a `ping` may go unanswered, with nothing else received, before the connection is declared dead and replaced.
   * Dead connections are detected within `pingIntervalMs + pingTimeoutMs`. Measured with the wall clock, so a
   * throttled background-tab timer that fires late does not kill a live connection (socket.io#4040).
   * @default 10000
   */
  readonly pingTimeoutMs?: number;
  /**
   * How long before `connected.expires` the token is refreshed, in ms (at most a third of the remaining lifetime).
   * @default 30000: room for a slow token endpoint and a retry
   */
  readonly refreshMarginMs?: number;
  /**
   * Time a publish waits for its ack before it is sent again with the same id (the server delivers it once).
   * @default 10000
   */
  readonly ackTimeoutMs?: number;
  /**
   * Publishes sent and not yet acknowledged at any time; the rest of the outbox waits its turn.
   * @default 128: far above what one connection needs for throughput (acks come back in a round trip), small enough
   *   that a connection cut every few hundred milliseconds still gets its first messages through instead of
   *   resending a whole backlog on every new connection
   */
  readonly maxInFlight?: number;
  /** Offline outbox: bound, policy when full, persistence. */
  readonly outbox?: OutboxOptions;
  /** Circuit breaker around publishes, or false for none. @default failureThreshold 5, resetTimeoutMs 5000, whenOpen 'reject' */
  readonly breaker?: BreakerOptions | false;
  /** Makes client message ids. @default crypto.randomUUID, else 128 random bits in hex */
  readonly newMessageId?: () => string;
  /** Random source in [0, 1) for the jitter (tests). @default Math.random */
  readonly random?: () => number;
  /**
   * Where every timeout and every "now" of the client comes from (tests drive it by hand).
   * @default systemClock: `Date.now` and the global `setTimeout`
   */
  readonly clock?: Clock;
}

/**
 * `idle`: never connected. `connecting`: opening or authenticating (first time or a reconnect attempt).
 * `connected`. `disconnected`: the connection was lost and a reconnect is scheduled (the UI's "reconnecting").
 * `closed`: final: `close()` was called, the server said not to come back, or authentication failed.
 */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

/** A state change and its reason. */
export interface StateChange {
  readonly state: ClientState;
  readonly previous: ClientState;
  /** Why: `connect`, `connected`, `transport_closed`, `ping_timeout`, `connect_timeout`, `server_disconnect`, `auth_failed`, `token_error`, `client_closed`, `reconnect`, `max_attempts`, `transport_fallback` (trying the next transport), `transport_upgrade` (back to the preferred one). */
  readonly reason: string;
  /** The close code, when a connection closed. */
  readonly code?: number;
  /** For `disconnected`: when the next attempt starts. */
  readonly retryInMs?: number;
  /** Reconnect attempts since the last successful connection. */
  readonly attempt: number;
  /** The transport in use (`connected`), being tried (`connecting`), or to be tried next. */
  readonly transport: TransportKind;
}

/** Delivery figures, for tests and dashboards. */
export interface ClientStats {
  /** Publications delivered to the application. */
  delivered: number;
  /** Publications dropped because their offset was already delivered. */
  duplicates: number;
  /** `gap` events raised. */
  gaps: number;
  /** Connections established (the first one included). */
  connections: number;
  /** Publishes acknowledged. */
  acked: number;
  /** Publish attempts sent again (same id) after a timeout or a lost connection. */
  resent: number;
}

/** Events of a {@link Client}. */
export interface ClientEvents extends Record<string, unknown> {
  /** Every delivered publication, once, in order per channel. */
  publication: PublicationMessage;
  join: JoinMessage;
  leave: LeaveMessage;
  typing: TypingEventMessage;
  /** The server ended a subscription on its own. */
  unsubscribed: UnsubscribedMessage;
  /** An `error` that answers no pending request. */
  error: ErrorMessage;
  /** The server announced it is closing the connection. */
  disconnect: DisconnectMessage;
  /** A transport closed. */
  close: { readonly code: number; readonly reason: string };
  /** The state (kept as a string for simple UIs); see `statechange` for the reason. */
  state: ClientState;
  statechange: StateChange;
  connected: ConnectedMessage;
  /** A subscription could not prove completeness: refetch what the application needs. */
  gap: GapEvent;
  breaker: BreakerState;
  /** An outbox message was acknowledged (also those queued by an earlier process and loaded from the store). */
  acked: { readonly entry: OutboxEntry; readonly reply: PublishReply };
  /** An outbox message failed for good (refused by the server or dropped from a full outbox). */
  failed: { readonly entry: OutboxEntry; readonly error: ClientError };
}

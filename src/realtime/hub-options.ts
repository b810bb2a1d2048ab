// Realtime: what a RealtimeServer is configured with, and the defaults it applies for its sessions.
import type { Broker, DocumentStore } from '../broker/index.ts';
import type { PerMessageDeflateServerOptions, ServerOptions } from '../engine/index.ts';
import type { Authenticator } from './auth/identity.ts';
import type { ServerLogic } from './logic.ts';
import type { Namespaces } from './namespaces.ts';
import type { RealtimeObserver } from './observer.ts';
import type { OriginPolicy } from './origin.ts';
import type { Permissions } from './permissions.ts';
import { type ConnectionRateLimitOptions, connectionLimits } from './connection-rate-limit.ts';
import { StrikeTracker } from './rate-limit.ts';
import type { SessionOptions } from './session-options.ts';
import type { TypingOptions } from './typing.ts';

/** Engine options the hub passes through (heartbeat, deadlines, caps). */
export type EngineOptions = Pick<
  ServerOptions,
  | 'pingIntervalMs'
  | 'pongTimeoutMs'
  | 'closeTimeoutMs'
  | 'handshakeTimeoutMs'
  | 'maxConnections'
  | 'maxConnectionsPerIp'
  | 'sendHighWaterMark'
  | 'acceptPath'
>;

/** `RealtimeServerOptions.logicTimeoutMs`'s default (see there why). */
export const DEFAULT_LOGIC_TIMEOUT_MS = 3000;

/** Options of {@link RealtimeServer}. */
export interface RealtimeServerOptions {
  /** Where to listen: attach to an existing server (with `path`), or standalone on `port`. */
  readonly server?: NonNullable<ServerOptions['server']>;
  /** Standalone port (0 picks a free one). */
  readonly port?: number;
  /** Standalone host. @default '127.0.0.1' */
  readonly host?: string;
  /** @default '/ws': the endpoint of docs/protocol.md §1 */
  readonly path?: string;
  readonly broker: Broker;
  readonly namespaces: Namespaces;
  readonly authenticator: Authenticator;
  /** Built over `namespaces` (the hub refuses permissions over other ones). @default new Permissions(namespaces): the default role table */
  readonly permissions?: Permissions;
  /** @default an empty allowlist: no browser origin is trusted unless configured (or same-origin, below) */
  readonly originPolicy?: OriginPolicy;
  /**
   * Also accept a browser whose `Origin` equals `http(s)://` + the request's `Host`, i.e. the page this server serves.
   * @default false: behind DNS rebinding a Host header is attacker-chosen; enable for the bundled chat page in development
   */
  readonly allowSameOrigin?: boolean;
  /** Cookie carrying the token. @default null (cookies are ambient credentials: opt-in) */
  readonly cookieName?: string | null;
  /** Whether `?token=` is read. @default true (browsers cannot set headers on a WebSocket) */
  readonly allowQueryToken?: boolean;
  /**
   * New connections per minute per remote address.
   * @default 600: a page reload storm from one NAT fits, a handshake flood does not
   */
  readonly connectionsPerMinutePerIp?: number;
  /**
   * Time a connection has to send `connect` before it is closed with 4001.
   * @default 5000: a client sends `connect` right after opening; five seconds cover a slow mobile link
   */
  readonly authTimeoutMs?: number;
  /**
   * Malformed messages (and rate-limit trips) within `strikeWindowMs` that close the connection.
   * @default 10: a buggy client gets error replies; only sustained abuse is closed
   */
  readonly maxStrikes?: number;
  /** @default 10000 */
  readonly strikeWindowMs?: number;
  /**
   * Subscriptions per connection.
   * @default 128: a chat client joins a handful of rooms; a flood of subscriptions is capped
   */
  readonly maxSubscriptions?: number;
  /**
   * Connections per user on this node.
   * @default 16: several tabs and devices, not a bot farm on one account
   */
  readonly maxConnectionsPerUser?: number;
  /**
   * Largest message accepted, in bytes; larger ones get `too_large` (up to 4x, beyond which the engine closes with 1009).
   * @default 65536 (`Limits.MAX_MESSAGE_SIZE`)
   */
  readonly maxMessageSize?: number;
  /** Per-connection message and byte rates. @default ConnectionRateLimiter's defaults (50 msg/s, 256 KiB/s) */
  readonly rateLimit?: ConnectionRateLimitOptions;
  /**
   * Bytes a subscriber may have queued before its namespace's slow-consumer policy (drop / close) applies.
   * @default 4194304 (4 MiB): several seconds of a busy chat, far less than a stalled reader would pile up
   */
  readonly slowConsumerBytes?: number;
  /** Typing throttle and expiry. */
  readonly typing?: TypingOptions;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. A connection from one of them counts
   * against the per-address limits (`connectionsPerMinutePerIp`, `engine.maxConnectionsPerIp`) and shows in logs as
   * the nearest untrusted address of the chain; from anyone else, as its own address, whatever it sends. The engine
   * resolves it (its `trustedProxies`); the hub reads the result.
   * @default []: no header is believed (behind a proxy every client would share the proxy's limits)
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Time a connection may go without sending an application message before it is closed with 4506 "idle timeout"
   * (`reconnect: false`), in ms; 0 turns it off. Pings do not count (WebSocket ping/pong frames and the protocol's
   * `ping` message: the SDK sends those by itself), nor do messages the server sends (deliveries to a listener that
   * never speaks do not keep it open).
   * @default 0 (off): a read-only dashboard or feed legitimately sends nothing for hours; enable it where every
   *   client is expected to act (closing abandoned tabs), with a value far above the clients' ping interval
   */
  readonly idleTimeoutMs?: number;
  /**
   * Client addresses and CIDR ranges refused at the WebSocket handshake with 403 (`203.0.113.0/24`, `2001:db8::/32`,
   * `198.51.100.7`), matched against the address resolved through `trustedProxies`. The HTTP server applies it to the
   * pages too, never to `/api/*` (callers with an API key are operators, not end users).
   * @default []: nobody is refused for their address
   */
  readonly denyAddresses?: readonly string[];
  /** Engine pass-through options. */
  readonly engine?: EngineOptions;
  /**
   * permessage-deflate (RFC 7692) for `/ws`: `true` accepts offers with the engine's defaults, or its options
   * (`threshold`: messages smaller than this many bytes go out uncompressed; window bits; context takeover). Beware
   * CRIME/BREACH: a compressed context shared by secrets and attacker-chosen text leaks through lengths (docs/deflate.md).
   * @default false - compression costs about 300 KiB of zlib memory per connection and CPU per message: opt in for
   *   feeds of large, repetitive JSON to browsers
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
  /** Metrics and log hooks. */
  readonly observer?: RealtimeObserver;
  /**
   * Server-side application logic (hooks and RPC, docs/server-logic.md): one, or several run in order (a refusal stops
   * the chain). More can be added with `RealtimeServer#use`. @default none: every operation skips the hooks
   */
  readonly logic?: ServerLogic | readonly ServerLogic[];
  /**
   * Deadline of each call to the logic (a hook, an RPC handler), in milliseconds; past it the client gets `internal`
   * and the operation goes on without waiting.
   * @default 3000: under the auth deadline (`authTimeoutMs`, 5 s), so a slow `onConnect` is answered before the
   * connection is closed for not authenticating, and well under the client SDK's request timeout (10 s), so the client
   * hears `internal` rather than timing out on its own; a backend round trip that takes longer is already broken
   */
  readonly logicTimeoutMs?: number;
  /**
   * Where collaborative documents (namespaces with `document: true`) are stored. Every node sharing the broker must
   * share the store too (Redis or PostgreSQL), so each serves the same documents. The hub does not close it.
   * @default a fresh MemoryDocumentStore: documents last as long as the process (tests, a single demo node)
   */
  readonly documentStore?: DocumentStore;
  /**
   * Serve y-websocket clients (`WebsocketProvider`) at `yjsPath` + `<name>`, as the document channel
   * `<yjsNamespace>:<name>` (a namespace with `document: true`); same credentials (query `token` or the cookie),
   * permissions and limits as the Switchboard protocol.
   * @default null: no y-websocket endpoint
   */
  readonly yjsNamespace?: string | null;
  /** Path prefix of the y-websocket endpoint. @default '/yjs/' */
  readonly yjsPath?: string;
}

/**
 * The session limits of a hub's options, defaults applied.
 * @param options The hub's options.
 * @returns What every session and operation reads.
 */
export function sessionOptionsFrom(options: RealtimeServerOptions): SessionOptions {
  const maxStrikes = options.maxStrikes ?? 10;
  const strikeWindowMs = options.strikeWindowMs ?? 10_000;
  const rateLimit = options.rateLimit ?? {};
  // Sessions make their strike trackers on the first strike and share the resolved rate limits: both are checked
  // here, so a bad value fails the server's construction rather than a client's message.
  new StrikeTracker({ maxStrikes, windowMs: strikeWindowMs });
  connectionLimits(rateLimit);
  return {
    authTimeoutMs: options.authTimeoutMs ?? 5000,
    maxStrikes,
    strikeWindowMs,
    maxSubscriptions: options.maxSubscriptions ?? 128,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? 16,
    rateLimit,
    defaultHistoryLimit: 100,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
  };
}

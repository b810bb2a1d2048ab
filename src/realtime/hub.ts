// Realtime: the RealtimeServer hub. Plugs the Switchboard protocol into the engine's WebSocketServer; no sockets of its own.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Broker, ChannelEvent, PublishResult } from '../broker/index.ts';
import { WebSocketServer, type AcceptResult, type ServerOptions, type WebSocket } from '../engine/index.ts';
import {
  DisconnectCode, ErrorCode, JsonCodec, Limits, MsgpackCodec, selectSubprotocol, Subprotocol,
  type Codec, type JsonValue, type ServerMessage,
} from '../messages/index.ts';
import { extractToken, type Authenticator, type Identity } from './auth.ts';
import { ChannelRegistry, typingSignalData, type FanoutContext } from './channels.ts';
import type { Namespaces } from './namespaces.ts';
import type { HubServices, RealtimeObserver, SessionOptions } from './operations.ts';
import { createOriginPolicy, type OriginPolicy } from './origin.ts';
import { Permissions } from './permissions.ts';
import { KeyedRateLimiter, type ConnectionRateLimitOptions } from './rate-limit.ts';
import { Session } from './session.ts';
import { unsubscribe } from './subscribe.ts';
import { TypingTracker, type TypingOptions } from './typing.ts';

/** Engine options the hub passes through (heartbeat, deadlines, caps). */
export type EngineOptions = Pick<ServerOptions,
  'pingIntervalMs' | 'pongTimeoutMs' | 'closeTimeoutMs' | 'handshakeTimeoutMs' | 'maxConnections' | 'maxConnectionsPerIp' | 'sendHighWaterMark'>;

/** Options of {@link RealtimeServer}. */
export interface RealtimeServerOptions {
  /** Where to listen: attach to an existing server (with `path`), or standalone on `port`. */
  readonly server?: http.Server;
  /** Standalone port (0 picks a free one). */
  readonly port?: number;
  /** Standalone host. @default '127.0.0.1' */
  readonly host?: string;
  /** @default '/ws': the endpoint of docs/protocol.md §1 */
  readonly path?: string;
  readonly broker: Broker;
  readonly namespaces: Namespaces;
  readonly authenticator: Authenticator;
  /** @default new Permissions(namespaces): the default role table */
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
   * @default 5000: the "first auth message within 5 s"
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
  /** Engine pass-through options. */
  readonly engine?: EngineOptions;
  /** Metrics and log hooks. */
  readonly observer?: RealtimeObserver;
}

interface HandshakeContext {
  readonly identity: Identity | null;
}

const CODECS = [Subprotocol.JSON, Subprotocol.MSGPACK] as const;

/**
 * The broker channel nodes use to tell each other to act (revocation). Its name is not a valid client channel name
 * (no namespace separator), so no client can subscribe to it or publish on it.
 */
export const CONTROL_CHANNEL = '$switchboard-control';

/**
 * The real-time server: sessions, channels, presence, typing, history and recovery over one {@link Broker}.
 *
 * @example
 * ```ts
 * const hub = new RealtimeServer({ server: httpServer, broker: new MemoryBroker(), namespaces, authenticator });
 * // ... later
 * await hub.drain();
 * ```
 */
export class RealtimeServer {
  /** The engine server handling `/ws`. */
  readonly wss: WebSocketServer;
  readonly #services: HubServices;
  readonly #codecs: Codec[];
  readonly #sessions = new Set<Session>();
  readonly #users = new Map<string, Set<Session>>();
  readonly #ipLimiter: KeyedRateLimiter;
  readonly #origins: OriginPolicy;
  readonly #options: RealtimeServerOptions;
  readonly #startedAt = Date.now();
  /** This node's id in control signals, so it ignores its own. */
  readonly #node = randomUUID();
  readonly #onControl = (event: ChannelEvent): void => this.#control(event);
  /** Resolves once the control channel is subscribed (rejects when the broker could not subscribe). */
  readonly #controlReady: Promise<void>;
  #draining = false;

  /**
   * @param options Broker, namespaces, auth, limits and where to listen.
   * @throws {TypeError} From the engine when neither `server` nor `port` is given.
   */
  constructor(options: RealtimeServerOptions) {
    this.#options = options;
    const maxMessageSize = options.maxMessageSize ?? Limits.MAX_MESSAGE_SIZE;
    this.#codecs = [new JsonCodec({ maxMessageSize }), new MsgpackCodec({ maxMessageSize })];
    this.#origins = options.originPolicy ?? createOriginPolicy({ allowedOrigins: [] });
    this.#ipLimiter = new KeyedRateLimiter({ perMinute: options.connectionsPerMinutePerIp ?? 600 });
    const observer = options.observer ?? {};
    const fanout: FanoutContext = {
      broker: options.broker,
      codecs: this.#codecs.length,
      encode: (index, message) => this.#codecs[index]!.encodeServerMessage(message),
      broadcast: (frame, connections) => this.wss.broadcast(frame, connections),
      slowConsumerBytes: options.slowConsumerBytes ?? 4 * 1024 * 1024,
      delivered: (publication, count) => observer.delivered?.(count, Date.now() - publication.time),
      slowConsumer: (_session, action) => observer.slowConsumer?.(action),
    };
    const channels = new ChannelRegistry(fanout);
    const sessionOptions: SessionOptions = {
      authTimeoutMs: options.authTimeoutMs ?? 5000,
      maxStrikes: options.maxStrikes ?? 10,
      strikeWindowMs: options.strikeWindowMs ?? 10_000,
      maxSubscriptions: options.maxSubscriptions ?? 128,
      maxConnectionsPerUser: options.maxConnectionsPerUser ?? 16,
      rateLimit: options.rateLimit ?? {},
      defaultHistoryLimit: 100,
    };
    this.#services = {
      broker: options.broker,
      namespaces: options.namespaces,
      permissions: options.permissions ?? new Permissions(options.namespaces),
      authenticator: options.authenticator,
      channels,
      // Typing travels as a broker signal, so subscribers on every node see it (not stored, not recovered).
      // When the broker cannot take it, this node's subscribers still get it.
      typing: new TypingTracker((channel, user, on) => {
        options.broker.signal(channel, typingSignalData(user, on)).catch(() => {
          channels.get(channel)?.relay({ type: 'typing', channel, user, on }, user);
        });
      }, options.typing),
      options: sessionOptions,
      observer,
      addUserSession: (session) => this.#addUserSession(session),
      sessionClosed: (session) => this.#sessionClosed(session),
      stats: () => this.stats(),
    };
    const engine: ServerOptions = {
      ...options.engine,
      ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
      path: options.path ?? '/ws',
      // Frames up to 4x the limit get a `too_large` reply; anything bigger is cut by the engine with 1009 before it is buffered.
      maxMessageSize: maxMessageSize * 4,
      accept: (req, info) => this.#accept(req, info),
      handleProtocols: (protocols) => selectSubprotocol(protocols),
      ...(options.server !== undefined ? { server: options.server } : { port: options.port ?? 0, host: options.host ?? '127.0.0.1' }),
    };
    this.wss = new WebSocketServer(engine);
    this.wss.on('connection', (ws: WebSocket) => this.#onConnection(ws));
    this.wss.on('error', (err: Error) => observer.internalError?.(err));
    this.#controlReady = options.broker.subscribe(CONTROL_CHANNEL, this.#onControl);
    // A broker that cannot subscribe now (Redis down) resubscribes by itself once it is back.
    this.#controlReady.catch((err: unknown) => observer.internalError?.(err));
  }

  /** Whether the server is draining (new connections refused, `/ready` answers 503). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Open sessions. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** The broker. */
  get broker(): Broker {
    return this.#options.broker;
  }

  /** Open sessions (read-only view, for tests and admin tools). */
  get sessions(): ReadonlySet<Session> {
    return this.#sessions;
  }

  /** Statistics for the `stats` message and `GET /api/stats`. */
  stats(): Record<string, JsonValue> {
    let subscriptions = 0;
    for (const s of this.#sessions) subscriptions += s.subscriptions.size;
    return {
      connections: this.#sessions.size,
      users: this.#users.size,
      channels: this.#services.channels.size,
      subscriptions,
      typing: this.#services.typing.size,
      uptimeMs: Date.now() - this.#startedAt,
      draining: this.#draining,
    };
  }

  /**
   * Publishes from the server side (HTTP API, feeds): no client permissions, but the namespace must exist.
   * @param channel Channel name.
   * @param data Any JSON value.
   * @param options `id` for deduplication of retries (scoped to the server), `sender` to label it.
   * @returns Where it landed.
   * @throws {RangeError} For an invalid channel or an unknown namespace.
   * @throws {BrokerError} When the broker is unavailable.
   */
  async publish(channel: string, data: JsonValue, options: { readonly id?: string; readonly sender?: string } = {}): Promise<PublishResult> {
    const resolved = this.#options.namespaces.resolve(channel);
    if (!resolved.ok) throw new RangeError(resolved.code === 'not_found' ? 'Cannot publish: unknown namespace' : 'Cannot publish: invalid channel name');
    return this.#options.broker.publish(channel, data, {
      historySize: resolved.config.historySize,
      historyTtlMs: resolved.config.historyTtlMs,
      ...(options.sender === undefined ? {} : { sender: options.sender }),
      ...(options.id === undefined ? {} : { id: options.id, idempotencyKey: `\u0000server\u0000${options.id}` }),
    });
  }

  /**
   * Graceful drain (SECURITY-CASES SD-01): refuse new connections with 503, tell every client to reconnect
   * elsewhere (`disconnect` then close 1001, RFC 6455 §7.4.1 "going away"), wait for the close handshakes up
   * to the deadline, terminate the rest.
   * @param options `timeoutMs`: the deadline for close handshakes.
   */
  async drain(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#draining = true;
    for (const session of [...this.#sessions]) session.disconnect(1001, 'shutdown', true);
    await this.#options.broker.unsubscribe(CONTROL_CHANNEL, this.#onControl).catch(() => {});
    await this.wss.close({ code: 1001, reason: 'shutdown', ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
    this.#services.typing.dispose();
  }

  async #accept(req: http.IncomingMessage, info: { readonly protocols: readonly string[]; readonly origin: string | null; readonly address: string }): Promise<AcceptResult> {
    if (this.#draining) return { status: 503, headers: { 'Retry-After': '5' } };
    const ip = info.address;
    if (!this.#ipLimiter.tryAcquire(ip)) {
      this.#services.observer.handshakeRejected?.('ip_rate');
      this.#services.observer.rateLimited?.('connections');
      return { status: 429, headers: { 'Retry-After': String(Math.max(1, Math.ceil(this.#ipLimiter.msUntil(ip) / 1000))) } };
    }
    const credential = extractToken(req, {
      cookieName: this.#options.cookieName ?? null,
      allowQuery: this.#options.allowQueryToken ?? true,
    });
    const origin = this.#origins.check(req.headers.origin, credential?.source ?? null);
    if (!origin.ok && !this.#isSameOrigin(req, info.origin, credential?.source ?? null)) {
      this.#services.observer.handshakeRejected?.(origin.reason);
      return { status: 403 };
    }
    let identity: Identity | null = null;
    if (credential !== null) {
      const result = await this.#services.authenticator.authenticate(credential.token);
      if (!result.ok) {
        this.#services.observer.handshakeRejected?.('auth');
        this.#services.observer.authFailed?.(result.failure.reason);
        return { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } };
      }
      identity = result.identity;
    }
    const protocol = selectSubprotocol(info.protocols);
    const context: HandshakeContext = { identity };
    return protocol === null ? { context } : { protocol, context };
  }

  #isSameOrigin(req: http.IncomingMessage, origin: string | null, source: string | null): boolean {
    if (this.#options.allowSameOrigin !== true || origin === null) return false;
    // Cookies are ambient credentials: same-origin by Host alone is not enough for them (CSWSH, AU-03).
    if (source === 'cookie') return false;
    const host = req.headers.host;
    if (host === undefined) return false;
    const lower = origin.toLowerCase();
    return lower === `http://${host.toLowerCase()}` || lower === `https://${host.toLowerCase()}`;
  }

  #onConnection(ws: WebSocket): void {
    const context = ws.context as HandshakeContext | undefined;
    const codecIndex = Math.max(0, CODECS.indexOf(ws.protocol as (typeof CODECS)[number]));
    const session = new Session(ws, {
      codec: this.#codecs[codecIndex]!,
      codecIndex,
      identity: context?.identity ?? null,
      hub: this.#services,
    });
    this.#sessions.add(session);
    this.#services.observer.sessionOpened?.(session);
    if (this.#draining) session.disconnect(1001, 'shutdown', true);
  }

  #addUserSession(session: Session): boolean {
    const user = session.user!;
    let set = this.#users.get(user);
    if (set === undefined) {
      set = new Set();
      this.#users.set(user, set);
    }
    if (set.size >= this.#services.options.maxConnectionsPerUser) {
      this.#services.observer.rateLimited?.('connections_per_user');
      session.error(ErrorCode.FORBIDDEN, `Cannot connect: at most ${this.#services.options.maxConnectionsPerUser} connections per user`);
      return false;
    }
    set.add(session);
    return true;
  }

  #sessionClosed(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    const user = session.user;
    if (user !== null) {
      const set = this.#users.get(user);
      set?.delete(session);
      if (set !== undefined && set.size === 0) this.#users.delete(user);
    }
    for (const channel of [...session.subscriptions.keys()]) {
      unsubscribe(session, this.#services, channel).catch((err: unknown) => this.#services.observer.internalError?.(err));
    }
    this.#services.observer.sessionClosed?.(session);
  }

  /**
   * Sends a server message to every session of a user on this node (for admin tools).
   * @param user User id.
   * @param message The message.
   * @returns How many sessions it was sent to.
   */
  sendToUser(user: string, message: ServerMessage): number {
    const set = this.#users.get(user);
    if (set === undefined) return 0;
    for (const session of set) session.send(message);
    return set.size;
  }

  /**
   * Disconnects every session of a user on this node (revocation, SECURITY-CASES AU-09).
   * @param user User id.
   * @returns How many sessions were closed.
   */
  disconnectUser(user: string): number {
    const set = this.#users.get(user);
    if (set === undefined) return 0;
    const sessions = [...set];
    for (const session of sessions) session.disconnect(DisconnectCode.FORBIDDEN);
    return sessions.length;
  }

  /**
   * Disconnects every session of a user on every node sharing this broker (logout, ban: SECURITY-CASES AU-09),
   * with 4504 and `reconnect: false`. This node's sessions close at once; the others when the broker's signal
   * reaches their node. It closes connections; keeping the user out afterwards is up to the token issuer
   * (short token lifetimes, no new tokens).
   * @param user User id.
   * @returns How many sessions were closed on this node.
   * @throws {BrokerError} When the broker cannot carry the signal (this node's sessions are closed anyway).
   */
  async revokeUser(user: string): Promise<number> {
    const local = this.disconnectUser(user);
    await this.#options.broker.signal(CONTROL_CHANNEL, { disconnect: { user }, node: this.#node });
    return local;
  }

  /** Resolves once this node listens for other nodes' control signals (for tests and readiness checks). */
  whenControlReady(): Promise<void> {
    return this.#controlReady;
  }

  #control(event: ChannelEvent): void {
    if (event.type !== 'signal' || typeof event.data !== 'object' || event.data === null) return;
    const { disconnect, node } = event.data as { disconnect?: { user?: unknown }; node?: unknown };
    if (node === this.#node || typeof disconnect !== 'object' || disconnect === null) return;
    if (typeof disconnect.user === 'string') this.disconnectUser(disconnect.user);
  }
}

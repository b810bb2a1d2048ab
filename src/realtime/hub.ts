// Realtime: the RealtimeServer hub. Plugs the Switchboard protocol into the engine's WebSocketServer; no sockets of its own.
import { randomUUID } from 'node:crypto';
import type { Broker, BrokerChange, ChannelEvent, PublishResult } from '../broker/index.ts';
import { TrustedProxies, WebSocket, WebSocketServer } from '../engine/index.ts';
import {
  JsonCodec,
  Limits,
  MsgpackCodec,
  RfcCloseCode,
  Subprotocol,
  type Codec,
  type JsonValue,
  type ServerMessage,
} from '../messages/index.ts';
import type { Identity } from './auth/identity.ts';
import type { FanoutContext } from './channels.ts';
import type { DocumentRegistry } from './documents/registry.ts';
import { openYjsConnection, type YjsEndpoint } from './documents/yjs-connection.ts';
import { RealtimeEvents } from './events.ts';
import { TransportAdmission } from './transport-admission.ts';
import { createAcceptHook, type HandshakeContext } from './handshake.ts';
import { engineOptionsFrom, handshakeChecksFrom, yjsEndpointFrom } from './hub-engine.ts';
import { publishFromServer } from './server-publish.ts';
import { hubServicesFrom } from './hub-services.ts';
import { sessionOptionsFrom, type RealtimeServerOptions } from './hub-options.ts';
import type { RpcHandler, ServerLogic } from './logic.ts';
import { callerOf } from './logic-context.ts';
import { Moderation } from './moderation.ts';
import { leave, runOperation } from './operations/index.ts';
import type { HubServices } from './services.ts';
import { Session } from './session.ts';
import type { SessionHost } from './session-host.ts';
import type { SessionTransport } from './transport.ts';
import { UserSessions } from './user-sessions.ts';
import { attachWebSocket, broadcastMixed } from './websocket-transport.ts';

export type { EngineOptions, RealtimeServerOptions } from './hub-options.ts';

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
  /** Bans, kicks, deletions and the address deny-list, on every node sharing the broker. */
  readonly moderation: Moderation;
  /** The `/ws` upgrade checks for the requests of the HTTP transports (`src/http/transports/`, `/sse`). */
  readonly admission: TransportAdmission;
  readonly #services: HubServices;
  readonly #host: SessionHost<Session>;
  readonly #codecs: Codec[];
  readonly #sessions = new Set<Session>();
  readonly #users: UserSessions;
  readonly #options: RealtimeServerOptions;
  readonly #startedAt = Date.now();
  /** This node's id in control signals, so it ignores its own. */
  readonly #node = randomUUID();
  readonly #onControl = (event: ChannelEvent): void => this.#control(event);
  /** Resolves once the control channel is subscribed (rejects when the broker could not subscribe). */
  readonly #controlReady: Promise<void>;
  /**
   * Occupancy, presence and (per namespace, opt-in) publication events, each emitted once per cluster by the node
   * where it happened (see `events.ts` and docs/webhooks.md). Listeners must not block.
   */
  readonly events: RealtimeEvents;
  readonly #onChange = (change: BrokerChange): void =>
    this.events.relay(change, (channel) => this.#options.namespaces.resolve(channel).ok);
  #draining = false;
  /** The y-websocket endpoint, when `yjsNamespace` is set. */
  readonly #yjs: YjsEndpoint | null;
  /** Open y-websocket connections (they hold no session). */
  #yjsConnections = 0;
  /** Open sessions whose transport is not an engine WebSocket (see `openSession`). */
  #otherTransports = 0;

  /**
   * @param options Broker, namespaces, auth, limits and where to listen.
   * @throws {TypeError} When `permissions` decide over other namespaces than `namespaces`; from the engine when
   *   neither `server` nor `port` is given.
   */
  constructor(options: RealtimeServerOptions) {
    if (options.permissions !== undefined && options.permissions.namespaces !== options.namespaces) {
      throw new TypeError(
        'Cannot serve with permissions built over other namespaces: build them with new Permissions(namespaces)',
      );
    }
    this.#options = options;
    const idleTimeoutMs = options.idleTimeoutMs ?? 0;
    if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0)
      throw new RangeError(`Cannot use idleTimeoutMs "${idleTimeoutMs}": expected a non-negative integer (0: off)`);
    const maxMessageSize = options.maxMessageSize ?? Limits.MAX_MESSAGE_SIZE;
    this.#codecs = [new JsonCodec({ maxMessageSize }), new MsgpackCodec({ maxMessageSize })];
    const observer = options.observer ?? {};
    this.events = new RealtimeEvents((err) => observer.internalError?.(err));
    options.broker.on('change', this.#onChange);
    // While every session speaks over an engine WebSocket (the count of others is zero), the engine's broadcast, which
    // builds the frame once for all recipients, takes the transports as they are: no per-recipient check on the hot path.
    const broadcast: FanoutContext['broadcast'] = (frame, transports) =>
      this.#otherTransports === 0
        ? this.wss.broadcast(frame, transports as Iterable<WebSocket>)
        : broadcastMixed((f, sockets) => this.wss.broadcast(f, sockets), frame, transports);
    const sessionOptions = sessionOptionsFrom(options);
    this.#users = new UserSessions(sessionOptions, observer);
    this.#services = hubServicesFrom(options, {
      codecs: this.#codecs,
      broadcast,
      sessionOptions,
      maxMessageSize,
      events: this.events,
      node: this.#node,
      addUserSession: (session) => this.#users.add(session),
      stats: () => this.stats(),
    });
    const services = this.#services;
    this.#yjs = yjsEndpointFrom(options, services);
    this.moderation = new Moderation(
      {
        broker: options.broker,
        namespaces: options.namespaces,
        services,
        bans: services.bans,
        sessionsOf: (user) => this.#users.sessionsOf(user),
        disconnectUser: (user) => this.disconnectUser(user),
        signal: (data) => options.broker.signal(CONTROL_CHANNEL, { ...data, node: this.#node }),
      },
      { denyAddresses: options.denyAddresses ?? [], trustedProxies: options.trustedProxies ?? [] },
    );
    this.#host = {
      options: sessionOptions,
      observer,
      run: (session, message) => runOperation(session, services, message),
      sessionClosed: (session) => this.#sessionClosed(session),
    };
    const state = {
      draining: () => this.#draining,
      deniedAddress: (address: string) => this.moderation.isDeniedAddress(address),
    };
    const engine = engineOptionsFrom(options, maxMessageSize, observer, state);
    this.admission = new TransportAdmission(
      engine.accept!,
      createAcceptHook({ ...handshakeChecksFrom(options, observer, state), draining: () => false, ipLimiter: null }),
      new TrustedProxies(options.trustedProxies ?? []),
    );
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

  /** Open connections: sessions (every transport) and y-websocket connections at `/yjs/` (`/ready`'s cap counts both). */
  get connectionCount(): number {
    return this.#sessions.size + this.#yjsConnections;
  }

  /** The collaborative documents loaded on this node (namespaces with `document: true`). */
  get documents(): DocumentRegistry {
    return this.#services.documents;
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
      ...this.#services.documents.stats(),
    };
  }

  /**
   * Publishes from the server side (HTTP API, feeds): no client permissions, but the namespace must exist. The server
   * logic's `onPublish` does not run: the caller is the application's backend itself, not a client to be checked.
   * @param channel Channel name.
   * @param data Any JSON value.
   * @param options `id` for deduplication of retries (scoped to the server), `sender` to label it, `key` the feed key.
   * @returns Where it landed.
   * @throws {RangeError} For an invalid channel or an unknown namespace.
   * @throws {InvalidPayloadError} When `data` breaks the namespace's payload schema.
   * @throws {BrokerError} When the broker is unavailable.
   */
  async publish(
    channel: string,
    data: JsonValue,
    options: { readonly id?: string; readonly sender?: string; readonly key?: string } = {},
  ): Promise<PublishResult> {
    return publishFromServer(this.#options, this.events, channel, data, options);
  }

  /**
   * Graceful drain (docs/security-cases.md SD-01): refuse new connections with 503, tell every client to reconnect
   * elsewhere (`disconnect` then close 1001, RFC 6455 §7.4.1 "going away"), wait for the close handshakes up
   * to the deadline, terminate the rest.
   * @param options `timeoutMs`: the deadline for close handshakes.
   */
  async drain(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#draining = true;
    for (const session of [...this.#sessions]) session.disconnect(1001, 'shutdown', true);
    await this.#options.broker.unsubscribe(CONTROL_CHANNEL, this.#onControl).catch(() => {});
    await this.wss.close({
      code: 1001,
      reason: 'shutdown',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.#services.typing.dispose();
    await this.#services.documents.close();
  }

  /**
   * Starts a session over any transport: the `/ws` endpoint opens one per WebSocket, and a transport of another kind
   * (server-sent events, long polling) opens its own. The caller hands the session each arriving frame
   * (`session.receive`) and the end of the transport (`session.transportClosed`). The hub applies draining; the checks
   * the `/ws` upgrade makes before a session exists (origin, per-address rate, connection caps, a handshake credential)
   * are the caller's to make for its own transport.
   * @param transport An open transport; its `protocol` picks the codec (JSON unless it names MessagePack).
   * @param identity Who a credential presented when the transport opened says the client is; null for none.
   * @returns The session, registered with the hub.
   */
  openSession(transport: SessionTransport, identity: Identity | null = null): Session {
    const codecIndex = Math.max(0, CODECS.indexOf(transport.protocol as (typeof CODECS)[number]));
    const session = new Session(transport, {
      codec: this.#codecs[codecIndex]!,
      codecIndex,
      identity,
      host: this.#host,
    });
    this.#sessions.add(session);
    if (!(transport instanceof WebSocket)) this.#otherTransports++;
    this.#services.observer.sessionOpened?.(session);
    if (this.#draining) session.disconnect(1001, 'shutdown', true);
    return session;
  }

  /** This node's id, unique per process start: what a transport routing requests between nodes names its node by. */
  get nodeId(): string {
    return this.#node;
  }

  /**
   * Adds server logic at run time: it runs after the logics already there (from `options.logic` and earlier calls).
   * @param logic Hooks and/or an `rpc` fallback (docs/server-logic.md).
   * @returns This server, for chaining.
   * @throws {TypeError} When `logic` is not an object or one of its hooks is not a function.
   */
  use(logic: ServerLogic): this {
    this.#services.logic.use(logic);
    return this;
  }

  /**
   * Registers an in-process RPC method: a client's `rpc` with this method name runs `handler` (before any logic's
   * `rpc`), with the deadline `logicTimeoutMs`.
   * @param method 1-64 of `A-Z a-z 0-9 _ . : -`.
   * @param handler Answers `{ data }` (the reply), nothing (an empty reply) or `{ refuse: { code, message } }`.
   * @returns This server, for chaining.
   * @throws {TypeError} For an invalid or already registered name, or a handler that is not a function.
   */
  rpc(method: string, handler: RpcHandler): this {
    this.#services.logic.register(method, handler);
    return this;
  }

  /** Calls to the server logic waiting now (each ends by its deadline at the latest): for tests and metrics. */
  get logicInFlight(): number {
    return this.#services.logic.inFlight;
  }

  #onConnection(ws: WebSocket): void {
    const context = ws.context as HandshakeContext | undefined;
    const yjs = this.#yjs;
    if (yjs !== null && ws.url.startsWith(yjs.pathPrefix)) {
      this.#yjsConnections++;
      ws.addEventListener(
        'close',
        () => {
          this.#yjsConnections--;
        },
        { once: true },
      );
      openYjsConnection(ws, context?.identity ?? null, yjs).catch((err: unknown) => {
        this.#services.observer.internalError?.(err);
        ws.close(RfcCloseCode.INTERNAL_ERROR, 'internal error');
      });
      return;
    }
    attachWebSocket(ws, this.openSession(ws, context?.identity ?? null));
  }

  #sessionClosed(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    if (!(session.transport instanceof WebSocket)) this.#otherTransports--;
    this.#users.delete(session);
    for (const channel of [...session.subscriptions.keys()]) {
      leave(session, this.#services, channel).catch((err: unknown) => this.#services.observer.internalError?.(err));
    }
    this.#services.observer.sessionClosed?.(session);
    const identity = session.identity;
    if (identity !== null && this.#services.logic.has('onDisconnect')) {
      const end = session.end;
      this.#services.logic.disconnect({
        ...callerOf(session, identity, this.#services.permissions),
        code: end?.code ?? 1006,
        reason: end?.reason ?? '',
      });
    }
  }

  /**
   * Sends a server message to every session of a user on this node (for admin tools).
   * @param user User id.
   * @param message The message.
   * @returns How many sessions it was sent to.
   */
  sendToUser(user: string, message: ServerMessage): number {
    return this.#users.send(user, message);
  }

  /**
   * Disconnects every session of a user on this node (revocation, docs/security-cases.md AU-09).
   * @param user User id.
   * @returns How many sessions were closed.
   */
  disconnectUser(user: string): number {
    return this.#users.disconnect(user);
  }

  /**
   * Disconnects every session of a user on every node sharing this broker (logout, ban: docs/security-cases.md AU-09),
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
    if (node === this.#node) return;
    this.moderation.control(event.data as Record<string, unknown>);
    if (typeof disconnect !== 'object' || disconnect === null) return;
    if (typeof disconnect.user === 'string') this.disconnectUser(disconnect.user);
  }
}

// Client SDK (Node-free): one logical session over many connections: states, reconnect, recovery, acks, outbox.
import { TimerSet, type TimerHandle } from './timers.ts';
import type {
  Codec, ConnectedMessage, DisconnectMessage, ErrorMessage, HistoryReply, JoinMessage, JsonValue, LeaveMessage, PingReply,
  PresenceReply, PublicationMessage, PublishReply, RefreshReply, ServerMessage, SingleClientMessage, StreamPosition,
  SubscribedMessage, TypingEventMessage, UnsubscribedMessage,
} from '../messages/core.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { BreakerOptions, BreakerState } from './breaker.ts';
import { Emitter } from './emitter.ts';
import { ClientError } from './errors.ts';
import type { OutboxEntry, OutboxOptions } from './outbox.ts';
import { Publisher, RETRYABLE_CODES } from './publisher.ts';
import { Subscription, type GapEvent, type SubscriptionOptions } from './subscription.ts';
import type { TransportFactory, TransportSocket } from './transport.ts';
import { codecWire, jsonWire, type ClientWire } from './wire.ts';
import { shouldReconnect } from '../messages/core.ts';

/** Options of {@link Client}. */
export interface ClientOptions {
  /** The server's WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`. */
  readonly url: string;
  /** Opens the socket. Browser: `(u, p) => new WebSocket(u, p)`; Node: `(u, p) => createWebSocket(u, { protocols: p })` from `switchboard/engine`. */
  readonly transport: TransportFactory;
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
  /** Reconnect backoff, or false to never reconnect by itself. @default BACKOFF_DEFAULTS (500 ms, 20 s, x2, full jitter) */
  readonly reconnect?: BackoffOptions | false;
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
  /** Why: `connect`, `connected`, `transport_closed`, `ping_timeout`, `connect_timeout`, `server_disconnect`, `auth_failed`, `token_error`, `client_closed`, `reconnect`. */
  readonly reason: string;
  /** The close code, when a connection closed. */
  readonly code?: number;
  /** For `disconnected`: when the next attempt starts. */
  readonly retryInMs?: number;
  /** Reconnect attempts since the last successful connection. */
  readonly attempt: number;
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

interface Pending {
  readonly resolve: (message: ServerMessage) => void;
  readonly reject: (err: ClientError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

type Request = SingleClientMessage extends infer M ? (M extends { rid?: unknown } ? Omit<M, 'rid'> : never) : never;

const MAX_RID = 4_294_967_295;
/** Close codes that ask for a longer wait ("try again later", rate limited). */
const SLOW_DOWN = new Set([1013, 4008, 1008]);

function defaultMessageId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/**
 * A Switchboard client: one logical session that outlives its connections. It reconnects with jittered backoff,
 * resubscribes from the last offset, drops duplicates, reports gaps, acknowledges publishes and retries them with the
 * same id, and holds them in an (optionally persisted) outbox while offline.
 *
 * @example
 * ```ts
 * const client = new Client({ url: 'wss://chat.example.com/ws', transport: (u, p) => new WebSocket(u, p), getToken });
 * client.on('statechange', (s) => console.log(s.state, s.reason));
 * const room = client.subscription('chat:general', { presence: true });
 * room.on('publication', (p) => console.log(p.data));
 * room.on('gap', () => reloadRoom());
 * client.connect();
 * await room.subscribe();
 * await client.publish('chat:general', { text: 'hello' }); // resolves on the server's ack
 * ```
 */
export class Client extends Emitter<ClientEvents> {
  readonly #options: ClientOptions;
  readonly #wire: ClientWire;
  readonly #pending = new Map<number, Pending>();
  readonly #positions = new Map<string, StreamPosition>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #newId: () => string;
  readonly #publisher: Publisher;
  readonly #stats: ClientStats = { delivered: 0, duplicates: 0, gaps: 0, connections: 0, acked: 0, resent: 0 };
  #socket: TransportSocket | null = null;
  #state: ClientState = 'idle';
  #rid = 0;
  #attempt = 0;
  #connected: ConnectedMessage | null = null;
  #disconnectAdvice: DisconnectMessage | null = null;
  readonly #timers = new TimerSet();
  #reconnectTimer: TimerHandle | null = null;
  #connectTimer: TimerHandle | null = null;
  #pingTimer: TimerHandle | null = null;
  #refreshTimer: TimerHandle | null = null;
  #lastReceivedAt = 0;
  #readyWaiters: { resolve: (m: ConnectedMessage) => void; reject: (e: ClientError) => void }[] = [];
  #closeReason: ClientError | null = null;

  /** @param options URL, transport, credentials, timings, outbox and breaker. */
  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    this.#wire = options.codec === undefined || options.codec === 'json' ? jsonWire : codecWire(options.codec);
    this.#newId = options.newMessageId ?? defaultMessageId;
    this.#publisher = new Publisher({
      newMessageId: this.#newId,
      ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
      ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
      ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    }, {
      connection: () => (this.#state === 'connected' ? this.#socket : null),
      request: (message, o) => this.request(message, o),
      acked: (entry, reply) => {
        this.#stats.acked++;
        this.emit('acked', { entry, reply });
      },
      failed: (entry, error) => this.emit('failed', { entry, error }),
      breaker: (state) => this.emit('breaker', state),
      resent: () => { this.#stats.resent++; },
      retryDelayMs: () => backoffDelay(2, { ...(this.#options.reconnect || {}), ...(this.#options.random === undefined ? {} : { random: this.#options.random }) }) + 50,
    });
  }

  /** The connection state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The `connected` answer of the current connection (user id, client id, expiry), or null. */
  get session(): ConnectedMessage | null {
    return this.#connected;
  }

  /** The circuit breaker's state (`closed` when there is none). */
  get breakerState(): BreakerState {
    return this.#publisher.breakerState;
  }

  /** Delivery figures (a copy). */
  get metrics(): ClientStats {
    return { ...this.#stats };
  }

  /** Messages waiting in the outbox (unacknowledged, oldest first). */
  get outbox(): readonly OutboxEntry[] {
    return this.#publisher.entries();
  }

  /** Resolves once the outbox as it is now is written to its store. */
  outboxPersisted(): Promise<void> {
    return this.#publisher.flushed();
  }

  /** Last position delivered per channel (a copy). */
  get positions(): ReadonlyMap<string, StreamPosition> {
    return new Map(this.#positions);
  }

  /**
   * Sets the position a later subscribe recovers from (for example one saved before a reload).
   * @param channel Channel name.
   * @param position The last publication processed.
   */
  setPosition(channel: string, position: StreamPosition): void {
    this.#positions.set(channel, { epoch: position.epoch, offset: position.offset });
  }

  /**
   * Starts the session: connects, and from then on reconnects by itself until {@link close}.
   * @returns The first `connected` message.
   * @throws {ClientError} When the client closes before connecting (authentication refused: `unauthorized`, `token_expired`; or `closed`).
   */
  connect(): Promise<ConnectedMessage> {
    if (this.#state === 'closed') return Promise.reject(new ClientError('closed', 'Cannot connect: the client is closed'));
    if (this.#state === 'connected' && this.#connected !== null) return Promise.resolve(this.#connected);
    const ready = this.ready();
    if (this.#state === 'idle') void this.#open('connect');
    return ready;
  }

  /**
   * Waits for the client to be connected.
   * @returns The current or next `connected` message.
   * @throws {ClientError} When the client closes first.
   */
  ready(): Promise<ConnectedMessage> {
    if (this.#state === 'connected' && this.#connected !== null) return Promise.resolve(this.#connected);
    if (this.#state === 'closed') return Promise.reject(this.#closeReason ?? new ClientError('closed', 'The client is closed'));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Ends the session for good: stops reconnecting, closes the connection, fails pending requests and unacknowledged
   * publishes with `closed` (a persisted outbox keeps them for the next client).
   * @param code Close code. @default 1000
   * @param reason Close reason. @default ''
   */
  close(code = 1000, reason = ''): void {
    if (this.#state === 'closed') return;
    const socket = this.#socket;
    this.#finish('client_closed', new ClientError('closed', 'The client was closed'), code);
    if (socket !== null) {
      try {
        socket.close(code, reason);
      } catch {
        socket.close();
      }
    }
  }

  // ------------------------------------------------------------------ connection lifecycle

  async #open(reason: string): Promise<void> {
    this.#setState('connecting', reason);
    let token: string | undefined = this.#options.token;
    if (this.#options.getToken !== undefined) {
      try {
        token = await this.#options.getToken();
      } catch (err) {
        if (this.#state !== 'connecting') return;
        if (err instanceof ClientError && err.code === 'unauthorized') {
          this.#finish('auth_failed', err);
          return;
        }
        this.#scheduleReconnect('token_error', undefined);
        return;
      }
      if (this.#state !== 'connecting') return;
    }
    let socket: TransportSocket;
    try {
      socket = this.#options.transport(this.#options.url, [this.#wire.subprotocol]);
      socket.binaryType = 'arraybuffer';
    } catch (err) {
      this.#finish('transport_error', new ClientError('closed', `Cannot open the transport: ${String(err)}`, { cause: err }));
      return;
    }
    this.#socket = socket;
    this.#disconnectAdvice = null;
    this.#connectTimer = this.#timer(() => this.#drop(socket, 'connect_timeout', 4000), this.#options.connectTimeoutMs ?? 10_000);
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      const message: Request = {
        type: 'connect',
        ...(token !== undefined ? { token } : {}),
        ...(this.#options.name !== undefined ? { name: this.#options.name } : {}),
      };
      this.request(message).then((answer) => {
        if (this.#socket !== socket) return;
        if (answer.type !== 'connected') throw new ClientError('protocol', `Cannot connect: unexpected "${answer.type}" answer`);
        this.#onConnected(socket, answer);
      }).catch((err: unknown) => {
        if (this.#socket !== socket) return;
        const error = err instanceof ClientError ? err : new ClientError('protocol', String(err));
        // No reconnect on auth failures; an expired token is worth one more try when a provider can mint a new one.
        if (error.code === 'unauthorized' || error.code === 'forbidden' || (error.code === 'token_expired' && this.#options.getToken === undefined)) {
          this.#finish('auth_failed', error);
          try { socket.close(1000); } catch { /* already closing */ }
          return;
        }
        this.#drop(socket, error.code === 'timeout' ? 'connect_timeout' : 'connect_failed', 4000);
      });
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.emit('close', { code: event.code, reason: event.reason });
      this.#lost(socket, 'transport_closed', event.code);
    };
  }

  #onConnected(socket: TransportSocket, answer: ConnectedMessage): void {
    this.#clear(this.#connectTimer);
    this.#connectTimer = null;
    this.#connected = answer;
    this.#attempt = 0;
    this.#stats.connections++;
    this.#lastReceivedAt = Date.now();
    this.#setState('connected', 'connected');
    this.emit('connected', answer);
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w.resolve(answer);
    for (const sub of this.#subscriptions.values()) if (sub.state !== 'idle') this.#sendSubscribe(sub, socket);
    this.#schedulePing(socket);
    this.#scheduleRefresh(socket, answer.expires);
    this.#publisher.pump();
  }

  /** Abandons a socket that is dead or useless without waiting for its close event, then reconnects. */
  #drop(socket: TransportSocket, reason: string, code: number): void {
    if (this.#socket !== socket) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    try {
      socket.close(code, reason.slice(0, 100));
    } catch {
      try { socket.close(); } catch { /* nothing left to close */ }
    }
    this.emit('close', { code: 1006, reason });
    this.#lost(socket, reason, 1006);
  }

  /** The current socket is gone: fail its requests, keep subscriptions and the outbox, decide whether to come back. */
  #lost(socket: TransportSocket, reason: string, code: number): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#connected = null;
    for (const t of [this.#connectTimer, this.#pingTimer, this.#refreshTimer]) this.#clear(t);
    this.#connectTimer = this.#pingTimer = this.#refreshTimer = null;
    this.#publisher.connectionLost();
    this.#failPending(new ClientError('closed', `Connection closed (${code})`));
    for (const sub of this.#subscriptions.values()) sub._lost();
    if (this.#state === 'closed') return;
    const advice = this.#disconnectAdvice;
    // Respect the server's advice (docs/protocol.md §13): its `disconnect` message wins over the bare close code.
    const again = this.#options.reconnect !== false && (advice !== null ? advice.reconnect : code === 1005 || shouldReconnect(code));
    if (!again) {
      const failed = new ClientError(advice?.code === 4502 ? 'unauthorized' : 'closed', `Connection closed (${advice?.code ?? code}${advice?.reason ? `: ${advice.reason}` : ''})`);
      this.#finish(advice !== null ? 'server_disconnect' : reason, failed, advice?.code ?? code);
      return;
    }
    const slow = SLOW_DOWN.has(advice?.code ?? code);
    this.#scheduleReconnect(advice !== null ? 'server_disconnect' : reason, advice?.code ?? code, slow);
  }

  #scheduleReconnect(reason: string, code: number | undefined, slowDown = false): void {
    const backoff = this.#options.reconnect === false ? {} : this.#options.reconnect ?? {};
    const attempt = this.#attempt + (slowDown ? 3 : 0);
    const delay = backoffDelay(attempt, { ...backoff, ...(this.#options.random === undefined ? {} : { random: this.#options.random }) });
    this.#attempt++;
    this.#setState('disconnected', reason, { ...(code === undefined ? {} : { code }), retryInMs: delay });
    this.#clear(this.#reconnectTimer);
    this.#reconnectTimer = this.#timer(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'disconnected') void this.#open('reconnect');
    }, delay);
  }

  /** Final state: nothing reconnects, waiters fail. */
  #finish(reason: string, error: ClientError, code?: number): void {
    this.#closeReason = error;
    const socket = this.#socket;
    this.#socket = null;
    this.#connected = null;
    if (socket !== null) {
      socket.onopen = null;
      socket.onmessage = null;
      // The application still hears how the transport ended.
      socket.onclose = (event) => this.emit('close', { code: event.code, reason: event.reason });
    }
    this.#timers.clearAll();
    this.#reconnectTimer = this.#connectTimer = this.#pingTimer = this.#refreshTimer = null;
    this.#failPending(new ClientError('closed', 'The client is closed'));
    this.#setState('closed', reason, code === undefined ? {} : { code });
    const ready = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of ready) w.reject(error);
    this.#publisher.close();
    for (const sub of this.#subscriptions.values()) sub._ended('closed', 'The client was closed');
  }

  #failPending(error: ClientError): void {
    for (const [rid, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(rid);
      pending.reject(error);
    }
  }

  #setState(state: ClientState, reason: string, extra: { code?: number; retryInMs?: number } = {}): void {
    const previous = this.#state;
    if (previous === state && state !== 'disconnected') return;
    this.#state = state;
    if (previous !== state) this.emit('state', state);
    this.emit('statechange', { state, previous, reason, attempt: this.#attempt, ...extra });
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    return this.#timers.start(fn, ms);
  }

  #clear(t: TimerHandle | null): void {
    this.#timers.clear(t);
  }

  // ------------------------------------------------------------------ liveness and token refresh

  #schedulePing(socket: TransportSocket): void {
    const interval = this.#options.pingIntervalMs ?? 20_000;
    if (interval <= 0) return;
    const timeoutMs = this.#options.pingTimeoutMs ?? 10_000;
    this.#pingTimer = this.#timer(() => {
      this.#pingTimer = null;
      if (this.#socket !== socket) return;
      if (Date.now() - this.#lastReceivedAt < interval) {
        this.#schedulePing(socket);
        return;
      }
      const sentAt = Date.now();
      this.request({ type: 'ping' }, { timeoutMs }).then(() => this.#schedulePing(socket), (err: unknown) => {
        if (this.#socket !== socket) return;
        // Anything received after the ping proves the connection alive, even if this timer ran late.
        if (err instanceof ClientError && err.code === 'timeout' && this.#lastReceivedAt <= sentAt) this.#drop(socket, 'ping_timeout', 4000);
        else this.#schedulePing(socket);
      });
    }, interval);
  }

  #scheduleRefresh(socket: TransportSocket, expires: number | undefined): void {
    if (expires === undefined || this.#options.getToken === undefined) return;
    const left = expires - Date.now();
    const margin = Math.min(this.#options.refreshMarginMs ?? 30_000, Math.max(0, left / 3));
    this.#refreshTimer = this.#timer(() => {
      this.#refreshTimer = null;
      void this.#refresh(socket, expires);
    }, Math.max(0, left - margin));
  }

  async #refresh(socket: TransportSocket, expires: number): Promise<void> {
    try {
      const token = await this.#options.getToken!();
      if (this.#socket !== socket || token === undefined) return;
      const answer = await this.request({ type: 'refresh', token });
      const data = answer.type === 'reply' ? (answer.data as RefreshReply | undefined) : undefined;
      if (this.#socket === socket) this.#scheduleRefresh(socket, typeof data?.expires === 'number' ? data.expires : undefined);
    } catch {
      // Try again while the token is still valid; if it lapses the server closes with 4003 and the reconnect gets a new token.
      if (this.#socket === socket && Date.now() < expires) this.#refreshTimer = this.#timer(() => void this.#refresh(socket, expires), Math.min(5000, Math.max(100, (expires - Date.now()) / 4)));
    }
  }

  // ------------------------------------------------------------------ requests

  /**
   * Sends a request with a fresh `rid` and waits for the answer that carries it as `re`.
   * @param message Any client message without `rid`.
   * @param options `timeoutMs` overrides `requestTimeoutMs`.
   * @returns The answer (`reply`, `subscribed`, `unsubscribed`, `connected`).
   * @throws {ClientError} The server's `error` code, `timeout`, or `closed` (not connected).
   */
  request(message: Request, options: { readonly timeoutMs?: number } = {}): Promise<ServerMessage> {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== 1) return Promise.reject(new ClientError('closed', 'Cannot send: not connected'));
    this.#rid = this.#rid >= MAX_RID ? 1 : this.#rid + 1;
    const rid = this.#rid;
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? 10_000;
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new ClientError('timeout', `No answer to "${message.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      try {
        socket.send(this.#wire.encode({ ...message, rid } as SingleClientMessage));
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(rid);
        reject(new ClientError('closed', 'Cannot send: the connection is closing', { cause: err }));
      }
    });
  }

  async #reply(message: Request): Promise<JsonValue | undefined> {
    const answer = await this.request(message);
    if (answer.type !== 'reply') throw new ClientError('protocol', `Unexpected "${answer.type}" answer to ${message.type}`);
    return answer.data;
  }

  /**
   * Reads retained publications, oldest first.
   * @param channel Channel name.
   * @param options `limit`, `since`, `before` as in docs/protocol.md §5.
   */
  async history(channel: string, options: { readonly limit?: number; readonly since?: StreamPosition; readonly before?: number } = {}): Promise<HistoryReply> {
    return (await this.#reply({ type: 'history', channel, ...options })) as unknown as HistoryReply;
  }

  /** @param channel Channel name. @returns Who is in the channel. */
  async presence(channel: string): Promise<PresenceReply> {
    return (await this.#reply({ type: 'presence', channel })) as unknown as PresenceReply;
  }

  /** @param token A new token for the same user. @returns The new expiry. */
  async refresh(token: string): Promise<RefreshReply> {
    return (await this.#reply({ type: 'refresh', token })) as unknown as RefreshReply;
  }

  /** @returns The server's clock. */
  async ping(): Promise<PingReply> {
    return (await this.#reply({ type: 'ping' })) as unknown as PingReply;
  }

  /** @returns Server statistics (connections, channels, uptime). */
  async stats(): Promise<JsonValue> {
    return (await this.#reply({ type: 'stats' })) ?? null;
  }

  /**
   * Tells a channel that this user is (or stopped) typing. Fire and forget: dropped while offline, throttled by the server.
   * @param channel A subscribed channel.
   * @param on true when typing started.
   */
  typing(channel: string, on: boolean): void {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== 1 || this.#state !== 'connected') return;
    try {
      socket.send(this.#wire.encode({ type: 'typing', channel, on }));
    } catch { /* closing: typing is ephemeral */ }
  }

  // ------------------------------------------------------------------ subscriptions

  /**
   * The subscription object of a channel (created on first use, not yet subscribed).
   * @param channel Channel name.
   * @param options Presence and starting position (used when created).
   */
  subscription(channel: string, options: SubscriptionOptions = {}): Subscription {
    let sub = this.#subscriptions.get(channel);
    if (sub === undefined) {
      sub = new Subscription(channel, options, {
        request: (m) => this.request(m),
        positionOf: (c) => this.#positions.get(c),
        setPosition: (c, p) => this.#positions.set(c, p),
        delivered: (_s, p) => {
          this.#stats.delivered++;
          this.emit('publication', p);
        },
        duplicate: () => { this.#stats.duplicates++; },
        gap: (g) => {
          this.#stats.gaps++;
          this.emit('gap', g);
          this.#subscriptions.get(g.channel)?.emitGap(g);
        },
        subscribe: (c) => this.subscribe(c),
        unsubscribe: (c) => this.unsubscribe(c),
      });
      this.#subscriptions.set(channel, sub);
    }
    return sub;
  }

  /**
   * Subscribes to a channel and keeps the subscription across reconnects (resubscribing with `since`). While offline
   * it waits for the connection. Recovered publications are emitted before it resolves.
   * @param channel Channel name.
   * @param options `presence`; `since` to override the stored position (null: do not recover).
   * @returns The `subscribed` message.
   * @throws {ClientError} The server's refusal (`forbidden`, `not_found`, …) or `closed`.
   */
  subscribe(channel: string, options: SubscriptionOptions = {}): Promise<SubscribedMessage> {
    if (this.#state === 'closed') return Promise.reject(new ClientError('closed', 'Cannot subscribe: the client is closed'));
    let sub = this.#subscriptions.get(channel);
    if (sub !== undefined && (options.since !== undefined || options.presence !== sub.options.presence) && sub.state === 'idle') {
      this.#subscriptions.delete(channel);
      sub = undefined;
    }
    sub ??= this.subscription(channel, options);
    const wasIdle = sub.state === 'idle';
    const wait = sub._waiting();
    if (wasIdle && this.#state === 'connected' && this.#socket !== null) this.#sendSubscribe(sub, this.#socket);
    return wait;
  }

  /**
   * Unsubscribes and forgets the subscription (its position is kept for a later recovery). Succeeds offline.
   * @param channel Channel name.
   */
  async unsubscribe(channel: string): Promise<void> {
    const sub = this.#subscriptions.get(channel);
    this.#subscriptions.delete(channel);
    sub?._ended('unsubscribed', 'Unsubscribed by the application');
    if (this.#state === 'connected') await this.request({ type: 'unsubscribe', channel }).catch((err: unknown) => {
      if (!(err instanceof ClientError && err.code === 'closed')) throw err;
    });
  }

  #sendSubscribe(sub: Subscription, socket: TransportSocket, retry = 0): void {
    const since = sub._since();
    sub._sending();
    this.request({
      type: 'subscribe', channel: sub.channel,
      ...(since !== undefined ? { since } : {}),
      ...(sub.options.presence !== undefined ? { presence: sub.options.presence } : {}),
    }).then((answer) => {
      if (this.#subscriptions.get(sub.channel) !== sub) return;
      if (answer.type !== 'subscribed') throw new ClientError('protocol', `Unexpected "${answer.type}" answer to subscribe`);
      sub._subscribed(answer, since);
    }).catch((err: unknown) => {
      if (this.#subscriptions.get(sub.channel) !== sub || this.#socket !== socket) return;
      const error = err instanceof ClientError ? err : new ClientError('protocol', String(err));
      if (error.code === 'already_subscribed') {
        // An earlier attempt went through after all: start over so the recovery answer is ours.
        this.request({ type: 'unsubscribe', channel: sub.channel }).then(() => this.#sendSubscribe(sub, socket, retry + 1), () => {});
        return;
      }
      if (RETRYABLE_CODES.has(error.code) || error.code === 'protocol') {
        this.#timer(() => {
          if (this.#socket === socket && this.#subscriptions.get(sub.channel) === sub) this.#sendSubscribe(sub, socket, retry + 1);
        }, backoffDelay(retry, { minDelayMs: 200, maxDelayMs: 5000, ...(this.#options.random === undefined ? {} : { random: this.#options.random }) }));
        return;
      }
      this.#subscriptions.delete(sub.channel);
      sub._ended(error.code, error.message);
    });
  }

  // ------------------------------------------------------------------ publishing through the outbox

  /**
   * Publishes into a channel. Resolves on the server's ack; while offline the message waits in the outbox and is sent,
   * in order, after the reconnect. Retries (after `ackTimeoutMs` or a lost connection) carry the same id.
   * @param channel Channel name.
   * @param data Any JSON value.
   * @param options `id`: the client message id; `timeoutMs`: give up (reject `timeout`, remove from the outbox) after this long.
   * @returns Where the publication landed, and whether the server had already stored it (`duplicate`).
   * @throws {ClientError} `outbox_full`, `circuit_open`, `closed`, `timeout`, `dropped`, or the server's refusal code.
   */
  publish(channel: string, data: JsonValue, options: { readonly id?: string; readonly timeoutMs?: number } = {}): Promise<PublishReply> {
    return this.#state === 'closed' ? Promise.reject(new ClientError('closed', 'Cannot publish: the client is closed')) : this.#publisher.enqueue('publish', channel, data, options);
  }

  /**
   * Sends a private message to every connection of `user` subscribed to its personal channel, through the outbox like {@link publish}.
   * @param user Recipient user id.
   * @param data Any JSON value.
   * @param options As for {@link publish}.
   */
  send(user: string, data: JsonValue, options: { readonly id?: string; readonly timeoutMs?: number } = {}): Promise<PublishReply> {
    return this.#state === 'closed' ? Promise.reject(new ClientError('closed', 'Cannot send: the client is closed')) : this.#publisher.enqueue('send', user, data, options);
  }

  // ------------------------------------------------------------------ incoming frames

  #onFrame(data: unknown): void {
    this.#lastReceivedAt = Date.now();
    const raw = typeof data === 'string' ? data : toBytes(data);
    if (raw === null) return;
    // Malformed frames and unknown message types are ignored (docs/protocol.md §14); a hostile frame never takes
    // the client down (SECURITY-CASES 4.13): the wire's decode never throws.
    const message = this.#wire.decode(raw);
    if (message === null) return;
    const re = 're' in message ? message.re : undefined;
    if (re !== undefined && (message.type === 'reply' || message.type === 'error' || message.type === 'subscribed' || message.type === 'unsubscribed' || message.type === 'connected')) {
      const pending = this.#pending.get(re);
      if (pending !== undefined) {
        this.#pending.delete(re);
        clearTimeout(pending.timer);
        if (message.type === 'error') pending.reject(new ClientError(message.code, message.message));
        else pending.resolve(message);
        return;
      }
    }
    switch (message.type) {
      case 'publication': {
        const sub = this.#subscriptions.get(message.channel);
        if (sub !== undefined && sub.state !== 'idle') sub._publication(message);
        break;
      }
      case 'join': case 'leave':
        this.#subscriptions.get(message.channel)?._presence(message);
        this.emit(message.type, message as never);
        break;
      case 'typing':
        this.#subscriptions.get(message.channel)?._typing(message);
        this.emit('typing', message);
        break;
      case 'unsubscribed': {
        const sub = this.#subscriptions.get(message.channel);
        if (sub !== undefined && re === undefined) {
          this.#subscriptions.delete(message.channel);
          sub._ended(message.code ?? 'unsubscribed', message.reason ?? 'The server ended the subscription');
        }
        this.emit('unsubscribed', message);
        break;
      }
      case 'error': this.emit('error', message); break;
      case 'disconnect':
        this.#disconnectAdvice = message;
        this.emit('disconnect', message);
        break;
      default: break;
    }
  }
}

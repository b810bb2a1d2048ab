// Client SDK (Node-free): the connection lifecycle of a client: open, authenticate, lose, reconnect with backoff, or
// finish for good; the state machine the application sees.
import {
  DisconnectCode,
  RfcCloseCode,
  shouldReconnect,
  type ConnectedMessage,
  type DisconnectMessage,
  type ServerMessage,
} from '../messages/core.ts';
import { backoffDelay } from './backoff.ts';
import type { ClientEvents, ClientOptions, ClientState } from './client-options.ts';
import { ClientCloseCode, SLOW_DOWN_CODES } from './close-codes.ts';
import { ClientError } from './errors.ts';
import type { Request } from './requests.ts';
import type { TimerHandle, TimerSet } from './timers.ts';
import type { TransportChooser } from './transport-chooser.ts';
import { releaseSocket, type TransportKind, type TransportSocket } from './transport.ts';

/** What the lifecycle needs from its client. */
export interface ConnectionHost {
  emit<K extends 'close' | 'state' | 'statechange' | 'connected'>(event: K, payload: ClientEvents[K]): void;
  /** Sends a request on `socket` (the `connect` of a socket not yet connected). */
  request(socket: TransportSocket, message: Request): Promise<ServerMessage>;
  /** A frame arrived on the current socket. */
  frame(data: unknown): void;
  /** `connected` arrived, before the state changes. */
  established(socket: TransportSocket): void;
  /** The state is `connected` and ready-waiters are resolved: resubscribe, ping, refresh, send the outbox. */
  connected(socket: TransportSocket, answer: ConnectedMessage): void;
  /** The current socket is gone (the state has not changed yet). */
  lost(code: number): void;
  /** The client is finishing: before the state becomes `closed`. */
  closing(): void;
  /** The state is `closed` and ready-waiters are rejected. */
  closed(): void;
}

/** Longest close reason the client sends, in characters (RFC 6455 allows 123 bytes). */
const MAX_CLOSE_REASON = 100;
/** Extra backoff attempts after a close that asks to slow down. */
const SLOW_DOWN_ATTEMPTS = 3;

/** One client's current socket and its state machine. */
export class ConnectionLifecycle {
  readonly #options: ClientOptions;
  readonly #timers: TimerSet;
  readonly #host: ConnectionHost;
  readonly #subprotocol: string;
  readonly #chooser: TransportChooser;
  #socket: TransportSocket | null = null;
  /** The current socket reached `connected` (a failure before that moves to the next transport). */
  #established = false;
  #state: ClientState = 'idle';
  #attempt = 0;
  #session: ConnectedMessage | null = null;
  #disconnectAdvice: DisconnectMessage | null = null;
  #reconnectTimer: TimerHandle | null = null;
  #connectTimer: TimerHandle | null = null;
  #readyWaiters: { resolve: (m: ConnectedMessage) => void; reject: (e: ClientError) => void }[] = [];
  #closeReason: ClientError | null = null;

  /**
   * @param options The client's options.
   * @param subprotocol The wire's subprotocol, offered when opening.
   * @param timers The client's timers (cleared when it finishes).
   * @param chooser Picks the transport of each attempt.
   * @param host The client.
   */
  constructor(
    options: ClientOptions,
    subprotocol: string,
    timers: TimerSet,
    chooser: TransportChooser,
    host: ConnectionHost,
  ) {
    const maxAttempts = options.reconnect === false ? undefined : options.reconnect?.maxAttempts;
    if (maxAttempts !== undefined && !(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 0)))
      throw new RangeError(`reconnect.maxAttempts must be a non-negative integer or Infinity, got ${maxAttempts}`);
    this.#options = options;
    this.#subprotocol = subprotocol;
    this.#timers = timers;
    this.#chooser = chooser;
    this.#host = host;
  }

  /** The state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The `connected` answer of the current connection, or null. */
  get session(): ConnectedMessage | null {
    return this.#session;
  }

  /** The transport in use, or of the next attempt. */
  get transport(): TransportKind {
    return this.#chooser.kind;
  }

  /** The current socket (also while connecting), or null. */
  get socket(): TransportSocket | null {
    return this.#socket;
  }

  /** The current socket while connected, else null. */
  get connection(): TransportSocket | null {
    return this.#state === 'connected' ? this.#socket : null;
  }

  /** Starts the session when idle; resolves on the current or next `connected`. */
  connect(): Promise<ConnectedMessage> {
    if (this.#state === 'closed')
      return Promise.reject(new ClientError('closed', 'Cannot connect: the client is closed'));
    if (this.#state === 'connected' && this.#session !== null) return Promise.resolve(this.#session);
    const ready = this.ready();
    if (this.#state === 'idle') void this.#open('connect');
    return ready;
  }

  /** Resolves on the current or next `connected`; rejects when the client closes first. */
  ready(): Promise<ConnectedMessage> {
    if (this.#state === 'connected' && this.#session !== null) return Promise.resolve(this.#session);
    if (this.#state === 'closed')
      return Promise.reject(this.#closeReason ?? new ClientError('closed', 'The client is closed'));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Ends the session for good and closes the socket with `code` and `reason`. */
  close(code: number, reason: string): void {
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

  /**
   * Skips the rest of the backoff wait: reconnects now when `disconnected`; a no-op in any other state.
   * @param reason The `statechange` reason of the new attempt.
   */
  reconnectNow(reason: string): void {
    if (this.#state !== 'disconnected') return;
    this.#timers.clear(this.#reconnectTimer);
    this.#reconnectTimer = null;
    void this.#open(reason);
  }

  /** Abandons a socket that is dead or useless without waiting for its close event, then reconnects. */
  drop(socket: TransportSocket, reason: string): void {
    if (this.#socket !== socket) return;
    releaseSocket(socket, ClientCloseCode.ABANDONED, reason.slice(0, MAX_CLOSE_REASON));
    this.#host.emit('close', { code: RfcCloseCode.ABNORMAL_CLOSURE, reason });
    this.#lost(socket, reason, RfcCloseCode.ABNORMAL_CLOSURE);
  }

  /**
   * Moves to the transport the chooser now prefers: closes the current connection (1000) and opens the new one at
   * once; subscriptions recover with `since` and unacknowledged publishes are sent again with their ids, as after any
   * reconnect, so nothing is lost or delivered twice.
   */
  upgrade(): void {
    const socket = this.#socket;
    if (this.#state !== 'connected' || socket === null) return;
    releaseSocket(socket, RfcCloseCode.NORMAL, 'transport_upgrade');
    this.#host.emit('close', { code: RfcCloseCode.NORMAL, reason: 'transport_upgrade' });
    this.#release();
    this.#host.lost(RfcCloseCode.NORMAL);
    void this.#open('transport_upgrade');
  }

  /** The server announced it is closing: its advice wins over the bare close code. */
  advise(message: DisconnectMessage): void {
    this.#disconnectAdvice = message;
  }

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
    this.#chooser.token = token;
    try {
      socket = this.#chooser.open(this.#subprotocol);
      socket.binaryType = 'arraybuffer';
    } catch (err) {
      this.#finish(
        'transport_error',
        new ClientError('closed', `Cannot open the transport: ${String(err)}`, { cause: err }),
      );
      return;
    }
    this.#socket = socket;
    this.#established = false;
    this.#disconnectAdvice = null;
    // Short of the last transport, a silent one (a proxy that swallows frames) is left after `transportTimeoutMs`.
    const connectMs = this.#options.connectTimeoutMs ?? 10_000;
    const fallbackMs = this.#chooser.fallbackTimeoutMs;
    const early = fallbackMs !== null && fallbackMs < connectMs;
    this.#connectTimer = this.#timers.start(
      () => this.drop(socket, early ? 'transport_timeout' : 'connect_timeout'),
      early ? fallbackMs : connectMs,
    );
    socket.onopen = () => {
      if (this.#socket === socket) this.#authenticate(socket, token);
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#host.frame(event.data);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#host.emit('close', { code: event.code, reason: event.reason });
      this.#lost(socket, 'transport_closed', event.code);
    };
  }

  #authenticate(socket: TransportSocket, token: string | undefined): void {
    const message: Request = {
      type: 'connect',
      ...(token !== undefined ? { token } : {}),
      ...(this.#options.name !== undefined ? { name: this.#options.name } : {}),
    };
    this.#host
      .request(socket, message)
      .then((answer) => {
        if (this.#socket !== socket) return;
        if (answer.type !== 'connected')
          throw new ClientError('protocol', `Cannot connect: unexpected "${answer.type}" answer`);
        this.#onConnected(socket, answer);
      })
      .catch((err: unknown) => {
        if (this.#socket !== socket) return;
        const error = err instanceof ClientError ? err : new ClientError('protocol', String(err));
        // No reconnect on auth failures; an expired token is worth one more try when a provider can mint a new one.
        if (
          error.code === 'unauthorized' ||
          error.code === 'forbidden' ||
          (error.code === 'token_expired' && this.#options.getToken === undefined)
        ) {
          this.#finish('auth_failed', error);
          try {
            socket.close(RfcCloseCode.NORMAL);
          } catch {
            /* already closing */
          }
          return;
        }
        this.drop(socket, error.code === 'timeout' ? 'connect_timeout' : 'connect_failed');
      });
  }

  #onConnected(socket: TransportSocket, answer: ConnectedMessage): void {
    this.#timers.clear(this.#connectTimer);
    this.#connectTimer = null;
    this.#session = answer;
    this.#established = true;
    this.#attempt = 0;
    this.#host.established(socket);
    this.#setState('connected', 'connected');
    this.#chooser.connected();
    this.#host.emit('connected', answer);
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w.resolve(answer);
    this.#host.connected(socket, answer);
  }

  /** The current socket is gone: the client fails its requests and keeps subscriptions and the outbox; come back? */
  #lost(socket: TransportSocket, reason: string, code: number): void {
    if (this.#socket !== socket) return;
    const established = this.#established;
    this.#release();
    this.#host.lost(code);
    if (this.#state === 'closed') return;
    const advice = this.#disconnectAdvice;
    // Respect the server's advice (docs/protocol.md §13): its `disconnect` message wins over the bare close code.
    const again =
      this.#options.reconnect !== false &&
      (advice !== null ? advice.reconnect : code === RfcCloseCode.NO_STATUS_RECEIVED || shouldReconnect(code));
    const finalCode = advice?.code ?? code;
    if (!again) {
      const failed = new ClientError(
        advice?.code === DisconnectCode.INVALID_TOKEN ? 'unauthorized' : 'closed',
        `Connection closed (${finalCode}${advice?.reason ? `: ${advice.reason}` : ''})`,
      );
      this.#finish(advice !== null ? 'server_disconnect' : reason, failed, finalCode);
      return;
    }
    // Refused, closed or silent before `connected`: try the next transport at once.
    if (!established && this.#chooser.failed()) {
      void this.#open('transport_fallback');
      return;
    }
    this.#scheduleReconnect(advice !== null ? 'server_disconnect' : reason, finalCode, SLOW_DOWN_CODES.has(finalCode));
  }

  #scheduleReconnect(reason: string, code: number | undefined, slowDown = false): void {
    const backoff = this.#options.reconnect === false ? {} : (this.#options.reconnect ?? {});
    const maxAttempts = backoff.maxAttempts ?? Infinity;
    if (this.#attempt >= maxAttempts) {
      // `#attempt` counts the reconnects started since the last `connected`: every one of them failed.
      this.#finish(
        'max_attempts',
        new ClientError(
          'closed',
          `Gave up after ${this.#attempt} failed reconnect attempts (last: ${reason}${code === undefined ? '' : ` ${code}`})`,
        ),
        code,
      );
      return;
    }
    const attempt = this.#attempt + (slowDown ? SLOW_DOWN_ATTEMPTS : 0);
    const delay = backoffDelay(attempt, {
      ...backoff,
      ...(this.#options.random === undefined ? {} : { random: this.#options.random }),
    });
    this.#attempt++;
    this.#setState('disconnected', reason, { ...(code === undefined ? {} : { code }), retryInMs: delay });
    this.#timers.clear(this.#reconnectTimer);
    this.#reconnectTimer = this.#timers.start(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'disconnected') void this.#open('reconnect');
    }, delay);
  }

  /** Forgets the current socket (its handlers are the caller's business). */
  #release(): void {
    this.#socket = null;
    this.#session = null;
    this.#established = false;
    this.#chooser.lost();
    this.#timers.clear(this.#connectTimer);
    this.#connectTimer = null;
  }

  /** Final state: nothing reconnects, waiters fail. */
  #finish(reason: string, error: ClientError, code?: number): void {
    this.#closeReason = error;
    const socket = this.#socket;
    this.#socket = null;
    this.#session = null;
    if (socket !== null) {
      socket.onopen = null;
      socket.onmessage = null;
      // The application still hears how the transport ended.
      socket.onclose = (event) => this.#host.emit('close', { code: event.code, reason: event.reason });
    }
    this.#chooser.lost();
    this.#timers.clearAll();
    this.#reconnectTimer = this.#connectTimer = null;
    this.#host.closing();
    this.#setState('closed', reason, code === undefined ? {} : { code });
    const ready = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of ready) w.reject(error);
    this.#host.closed();
  }

  #setState(state: ClientState, reason: string, extra: { code?: number; retryInMs?: number } = {}): void {
    const previous = this.#state;
    // A new attempt while connecting (the next transport) is reported too: the UI shows which one is tried.
    if (previous === state && state !== 'disconnected' && reason !== 'transport_fallback') return;
    this.#state = state;
    if (previous !== state) this.#host.emit('state', state);
    this.#host.emit('statechange', {
      state,
      previous,
      reason,
      attempt: this.#attempt,
      transport: this.#chooser.kind,
      ...extra,
    });
  }
}

// Realtime: one client connection's session: decoding, strikes, rate limits, auth deadlines; never throws on peer input.
import { randomBytes } from 'node:crypto';
import {
  DISCONNECT_INFO,
  DisconnectCode,
  ErrorCode,
  type Codec,
  type DecodeError,
  type JsonValue,
  type ServerMessage,
  type SingleClientMessage,
} from '../messages/index.ts';
import type { Identity } from './auth/identity.ts';
import type { SessionEnd, SessionInfo } from './observer.ts';
import { ConnectionRateLimiter } from './connection-rate-limit.ts';
import { StrikeTracker } from './rate-limit.ts';
import type { Subscriber, Subscription } from './subscription.ts';
import { FeedOutput } from './feed-output.ts';
import type { SessionHost } from './session-host.ts';
import { decodeFrame, isActivity } from './session-input.ts';
import { SubscriptionTable } from './subscription-table.ts';
import { frameLength, TrafficCounters } from './traffic.ts';
import type { SessionTransport } from './transport.ts';

/** Most messages queued behind a `connect` or `refresh` in flight; beyond it the client is misbehaving. */
const MAX_QUEUED = 64;
/** setTimeout's largest delay (2^31 - 1 ms); longer token lifetimes are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One client connection speaking the Switchboard protocol, whatever transport carries it: the session sends
 * encoded messages through its {@link SessionTransport} and is handed the frames that arrive ({@link receive}).
 * It owns its subscriptions, its rate limiter and its timers; every peer input ends in a reply, an `error`, or a
 * close with a documented code.
 */
export class Session implements Subscriber, SessionInfo {
  /** 128-bit random connection id (docs/security-cases.md AU-13). */
  readonly id = randomBytes(16).toString('hex');
  readonly transport: SessionTransport;
  readonly codec: Codec;
  /** Index of the codec in the hub's codec table (fan-out encodes once per index). */
  readonly codecIndex: number;
  readonly remoteAddress: string;
  readonly openedAt = Date.now();
  /** Messages and bytes each way, for the close log line. */
  readonly traffic = new TrafficCounters();
  /** Subscriptions by channel name, pending and live. */
  readonly subscriptions = new SubscriptionTable();
  /** Identity from the handshake credential, used by a `connect` without a token. */
  readonly handshakeIdentity: Identity | null;
  /** Presence info the server logic attached at `connect` or `refresh` (kept across a refresh that attaches none). */
  attachedInfo: Readonly<Record<string, unknown>> | null = null;
  #identity: Identity | null = null;
  #phase: 'connecting' | 'connected' | 'closed' = 'connecting';
  readonly #hub: SessionHost<Session>;
  readonly #rate: ConnectionRateLimiter;
  /** Protocol violations and rate-limit refusals, counted once the first happens (most sessions never strike). */
  #garbage: StrikeTracker | null = null;
  #rateStrikes: StrikeTracker | null = null;
  #authTimer: ReturnType<typeof setTimeout> | null = null;
  #expiryTimer: ReturnType<typeof setTimeout> | null = null;
  #barrier = false;
  /** Messages waiting behind a `connect` or `refresh` in flight (null while none waits). */
  #queue: SingleClientMessage[] | null = null;
  #end: SessionEnd | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #feed: FeedOutput | null = null;
  /** When the client last sent an application message (not a `ping`), in ms since the epoch. */
  #lastActivityAt = Date.now();

  /**
   * @param transport What carries the frames (open).
   * @param init Codec, handshake identity and the hub that runs the session.
   */
  constructor(
    transport: SessionTransport,
    init: {
      readonly codec: Codec;
      readonly codecIndex: number;
      readonly identity: Identity | null;
      readonly host: SessionHost<Session>;
    },
  ) {
    this.transport = transport;
    this.codec = init.codec;
    this.codecIndex = init.codecIndex;
    this.handshakeIdentity = init.identity;
    this.remoteAddress = transport.remoteAddress;
    this.#hub = init.host;
    const options = init.host.options;
    this.#rate = new ConnectionRateLimiter(options.rateLimit);
    this.#authTimer = setTimeout(() => this.disconnect(DisconnectCode.AUTH_TIMEOUT), options.authTimeoutMs);
    if (options.idleTimeoutMs > 0) this.#armIdle(options.idleTimeoutMs);
  }

  /** Conflation and batching state of the feed namespaces (created on first use). */
  get feed(): FeedOutput {
    this.#feed ??= new FeedOutput(this, this.#hub.observer);
    return this.#feed;
  }

  /** The authenticated identity, or null before `connected`. */
  get identity(): Identity | null {
    return this.#identity;
  }

  /** The negotiated subprotocol, '' when the client offered none. */
  get protocol(): string {
    return this.transport.protocol;
  }

  /** The user id once authenticated, else null. */
  get user(): string | null {
    return this.#identity?.user ?? null;
  }

  /** Whether the session is authenticated and open. */
  get isConnected(): boolean {
    return this.#phase === 'connected';
  }

  /** Whether the session has ended (closed or closing). */
  get isClosed(): boolean {
    return this.#phase === 'closed';
  }

  /** How the session ended, once it has. */
  get end(): SessionEnd | null {
    return this.#end;
  }

  /**
   * Marks the session authenticated and starts the expiry timer (called by the `connect` operation).
   * @param identity Who the connection is.
   */
  authenticate(identity: Identity): void {
    if (this.#authTimer !== null) clearTimeout(this.#authTimer);
    this.#authTimer = null;
    this.#identity = identity;
    this.#phase = 'connected';
    this.#armExpiry(identity.expiresAt);
  }

  /**
   * Replaces the identity after a successful `refresh` (same user) and re-arms the expiry timer.
   * @param identity The refreshed identity.
   */
  refreshed(identity: Identity): void {
    this.#identity = identity;
    this.#armExpiry(identity.expiresAt);
  }

  /**
   * Encodes and sends one message (dropped silently once the session closed).
   * @param message A server message.
   */
  send(message: ServerMessage): void {
    if (this.#phase === 'closed') return;
    // A batch waiting for the end of the turn leaves first: nothing sent later may overtake it (a `deleted`).
    if (this.#feed !== null && this.#feed.batchedSize > 0) this.#feed.flushBatch();
    const frame = this.codec.encodeServerMessage(message);
    this.transport.send(frame);
    const length = frameLength(frame);
    this.traffic.sent(length);
    this.#hub.observer.messageOut?.(message.type, length);
  }

  /**
   * Sends a `reply` when the request had a `rid`.
   * @param rid The request id, or undefined.
   * @param data The reply's data.
   */
  reply(rid: number | undefined, data: JsonValue): void {
    if (rid !== undefined) this.send({ type: 'reply', re: rid, data });
  }

  /**
   * Sends an `error` reply.
   * @param code Stable error code.
   * @param message Human-readable reason; never echoes peer data.
   * @param rid The request id when it could be read.
   */
  error(code: ErrorCode, message: string, rid?: number): void {
    this.#hub.observer.errorReply?.(code);
    this.send(rid === undefined ? { type: 'error', code, message } : { type: 'error', code, message, re: rid });
  }

  /**
   * Sends `disconnect` and closes the transport with the same code and reason.
   * @param code An application code (DisconnectCode) or an RFC 6455 code (1001, 1011).
   * @param reason Close reason (at most 123 bytes); defaults to the code's documented reason.
   * @param reconnect Whether the client should come back; defaults to the code's rule.
   */
  disconnect(code: number, reason?: string, reconnect?: boolean): void {
    if (this.#phase === 'closed') return;
    const info = (DISCONNECT_INFO as Readonly<Record<number, { reason: string; reconnect: boolean } | undefined>>)[
      code
    ];
    const text = reason ?? info?.reason ?? 'closed';
    this.send({ type: 'disconnect', code, reason: text, reconnect: reconnect ?? info?.reconnect ?? false });
    this.#phase = 'closed';
    this.transport.close(code, text);
    this.#cleanup(code, text);
  }

  /** The slow-consumer policy `close` chose this session: disconnect with 4010 (reconnect and recover). */
  disconnectSlow(): void {
    queueMicrotask(() => {
      // The backlog would hold `disconnect` and the Close back: drop it, so the reader learns why at once.
      this.transport.discardQueued?.();
      this.disconnect(DisconnectCode.SLOW_CONSUMER);
    });
  }

  /**
   * A pending subscription overflowed its buffer: the server lost track of the stream for this client.
   * @param subscription The subscription given up.
   */
  abandonSubscription(subscription: Subscription): void {
    subscription.state = 'gone';
    queueMicrotask(() => this.disconnect(DisconnectCode.INSUFFICIENT_STATE));
  }

  /** Counts one protocol violation; closes with 4500 after too many. */
  strike(): void {
    this.#garbage ??= this.#strikeTracker();
    if (this.#garbage.strike()) this.disconnect(DisconnectCode.BAD_REQUEST);
  }

  /**
   * A frame arrived from the transport: decoded, rate-limited and run; never throws.
   * @param raw A text frame (JSON) or a binary one (MessagePack).
   */
  receive(raw: string | Uint8Array): void {
    if (this.#phase === 'closed') return;
    const size = frameLength(raw);
    this.traffic.received(size);
    const verdict = this.#rate.check(size);
    if (verdict !== 'ok') {
      this.#hub.observer.messageIn?.('other', size);
      this.#hub.observer.rateLimited?.(verdict);
      this.#rateLimited(undefined);
      return;
    }
    const decoded = decodeFrame(this.codec, raw);
    if (!decoded.ok) {
      this.#hub.observer.messageIn?.('other', size);
      this.#malformed(decoded.error);
      return;
    }
    const message = decoded.message;
    this.#hub.observer.messageIn?.(message.type, size);
    // Application traffic keeps the session from idling out; `ping` (like WebSocket ping and pong) does not.
    if (isActivity(message)) this.#lastActivityAt = Date.now();
    if (message.type === 'batch') {
      // docs/protocol.md §10: rate limits count each member (the frame itself paid for the first).
      for (let i = 1; i < message.messages.length; i++) {
        if (this.#rate.check(0) !== 'ok') {
          this.#hub.observer.rateLimited?.('messages');
          this.#rateLimited(undefined);
          return;
        }
      }
      for (const member of message.messages) this.#accept(member);
    } else {
      this.#accept(message);
    }
  }

  #malformed(error: DecodeError): void {
    this.#hub.observer.malformed?.(error.code);
    // docs/security-cases.md AP-01: garbage before authentication closes at once; after it, an error and a strike.
    if (this.#phase === 'connecting') {
      this.error(error.code, error.message, error.rid);
      this.disconnect(DisconnectCode.BAD_REQUEST);
      return;
    }
    this.error(error.code, error.message, error.rid);
    this.strike();
  }

  #rateLimited(rid: number | undefined): void {
    this.error(ErrorCode.RATE_LIMITED, 'Too many messages: slow down', rid);
    // Sustained flooding ends the connection with 4008 (docs/protocol.md §13): the client may come back after a backoff.
    this.#rateStrikes ??= this.#strikeTracker();
    if (this.#rateStrikes.strike()) this.disconnect(DisconnectCode.RATE_LIMITED);
  }

  #strikeTracker(): StrikeTracker {
    const options = this.#hub.options;
    return new StrikeTracker({ maxStrikes: options.maxStrikes, windowMs: options.strikeWindowMs });
  }

  #accept(message: SingleClientMessage): void {
    if (this.#phase === 'closed') return;
    if (this.#barrier) {
      this.#queue ??= [];
      if (this.#queue.length >= MAX_QUEUED) {
        this.error(ErrorCode.RATE_LIMITED, 'Too many messages while authenticating', message.rid);
        this.strike();
        return;
      }
      this.#queue.push(message);
      return;
    }
    if (this.#phase === 'connecting' && message.type !== 'connect') {
      this.error(ErrorCode.UNAUTHORIZED, 'Cannot accept the message: send connect first', message.rid);
      this.strike();
      return;
    }
    // `connect` and `refresh` change who the session is: later messages wait for them, in order.
    const barrier = message.type === 'connect' || message.type === 'refresh';
    if (barrier) this.#barrier = true;
    let running: Promise<void>;
    try {
      running = this.#hub.run(this, message);
    } catch (err) {
      running = Promise.reject(err);
    }
    const rid = message.rid;
    // Optimisation (bench/RESULTS.md, logic-notes): one reaction per message, not `.catch().finally()` (two more
    // promises and the closures `finally` makes), and the barrier's only for the messages that raised it.
    if (!barrier) {
      running.then(undefined, (err: unknown) => this.#internal(err, rid));
      return;
    }
    running.then(
      () => this.#lowerBarrier(),
      (err: unknown) => {
        this.#internal(err, rid);
        this.#lowerBarrier();
      },
    );
  }

  /** `connect` or `refresh` ended: the messages that waited for it run, in order. */
  #lowerBarrier(): void {
    this.#barrier = false;
    const queued = this.#queue;
    this.#queue = null;
    if (queued !== null) for (const next of queued) this.#accept(next);
  }

  #internal(err: unknown, rid: number | undefined): void {
    this.#hub.observer.internalError?.(err);
    // Details may be sensitive: they go to the logs, the client gets a generic message.
    this.error(ErrorCode.INTERNAL, 'Internal server error', rid);
  }

  #armExpiry(expiresAt: number | null): void {
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    if (expiresAt === null) return;
    const delay = Math.max(0, expiresAt - Date.now());
    // docs/security-cases.md AU-08: an expired token ends the session unless refreshed in time (4003, reconnect with a new token).
    this.#expiryTimer = setTimeout(
      () => {
        if (delay >= MAX_TIMER_MS) this.#armExpiry(expiresAt);
        else this.disconnect(DisconnectCode.TOKEN_EXPIRED);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  /**
   * Closes the session with 4506 once no application message arrived for `idleTimeoutMs`. One timer per session,
   * re-armed for the remainder when it fires early: receiving a message only writes a timestamp.
   */
  #armIdle(idleTimeoutMs: number): void {
    const remaining = this.#lastActivityAt + idleTimeoutMs - Date.now();
    this.#idleTimer = setTimeout(
      () => {
        this.#idleTimer = null;
        if (this.#phase === 'closed') return;
        if (Date.now() - this.#lastActivityAt >= idleTimeoutMs) this.disconnect(DisconnectCode.IDLE_TIMEOUT);
        else this.#armIdle(idleTimeoutMs);
      },
      Math.max(0, Math.min(remaining, MAX_TIMER_MS)),
    );
  }

  /**
   * The transport ended (the peer closed, or the connection dropped).
   * @param code The close code (1006 for a drop).
   * @param reason The close reason.
   */
  transportClosed(code: number, reason: string): void {
    const closedByUs = this.#phase === 'closed';
    this.#phase = 'closed';
    if (!closedByUs) this.#cleanup(code, reason);
  }

  #cleanup(code: number, reason: string): void {
    if (this.#end !== null) return;
    if (this.#authTimer !== null) clearTimeout(this.#authTimer);
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer);
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#authTimer = null;
    this.#expiryTimer = null;
    this.#idleTimer = null;
    this.#queue = null;
    this.#feed?.close();
    this.#end = { code, reason, durationMs: Date.now() - this.openedAt };
    this.#hub.sessionClosed(this);
  }
}

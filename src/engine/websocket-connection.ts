// Node binding: the connection half of the WebSocket: binds the socket, derives the ready state, turns core events into WHATWG events, closes.
// Over 400 lines because event translation and the close handshake share the socket state; a split needs a second seam.
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Connection, ConnectionEvent } from '../protocol/index.ts';
import { CloseCode, serializeClosePayload } from '../protocol/index.ts';
import { asBuffer } from './byte-views.ts';
import type { PerMessageDeflate } from './deflate.ts';
import { channels } from './diagnostics.ts';
import { WebSocketCloseEvent, WebSocketErrorEvent, WebSocketEvent, WebSocketMessageEvent } from './events.ts';
import type { PingTracker } from './heartbeat.ts';
import {
  kCoreEvents,
  kHeartbeatRtt,
  kSlowConsumer,
  kSocketClosed,
  kSocketError,
  PauseReason,
  SocketBinding,
  type BindingHandlers,
  type BindingOptions,
} from './socket-binding.ts';
import {
  kDeliver,
  kEmit,
  kEndIteration,
  kHasListener,
  kPauseForIterator,
  WebSocketEventTarget,
} from './websocket-events.ts';
import {
  kAdapter,
  kAttach,
  kFailConnecting,
  kSetAbort,
  kStart,
  ReadyStates,
  type AdapterAccess,
  type HeartbeatOptions,
  type RawMessageSink,
  type ReadyState,
  type WebSocketInit,
} from './websocket-internal.ts';

/** @internal The subclass's access to the binding (null before the handshake). */
export const kBinding = Symbol('switchboard.binding');
/** @internal The subclass's access to the heartbeat (null before the handshake). */
export const kPings = Symbol('switchboard.pings');
/** @internal TCP closed, before the `close` event: the subclass runs the engine's bookkeeping callback. */
export const kClosed = Symbol('switchboard.closed');

/**
 * The connection half of the engine's WebSocket: it binds the upgraded socket to its core and the
 * heartbeat, derives the WHATWG ready state from the core's lifecycle, turns core events into
 * WHATWG events, and closes (the handshake, the slow-consumer drop, the close bookkeeping). The
 * public class adds sending.
 */
export abstract class WebSocketConnection extends WebSocketEventTarget implements BindingHandlers {
  readonly #role: 'server' | 'client';
  readonly #bindingOptions: BindingOptions;
  readonly #heartbeatOptions: HeartbeatOptions;
  /** The socket's binding; its core (`connection`) and socket are reached through it. */
  #binding: SocketBinding | null = null;
  #protocol = '';
  #extensions = '';
  /**
   * The closing handshake started in dispatch order: `close()` was called (its Close may still wait
   * behind compressions in flight), or the core's `closing`/`close` event was dispatched. The core's
   * own lifecycle runs ahead within a read: messages decoded before a Close in the same chunk are
   * dispatched while OPEN (WHATWG queues them before the CLOSING change).
   */
  #closing = false;
  #closeInfo: { code: number; reason: string; wasClean: boolean } | null = null;
  #errored = false;
  #abort: (() => void) | null = null;
  /** Whole ms of `performance.now()`: a small integer stays in the object (a fraction would box a number per connection). */
  #openedAt = 0;
  /** Null until asked: reading it costs a getpeername and a cached object on the socket. */
  #remoteAddress: string | null;
  #rawSink: RawMessageSink | null = null;

  /** @param init - role, addresses and per-connection options (`onClosed` is the subclass's) */
  constructor(init: WebSocketInit<never>) {
    super();
    this.#role = init.role;
    this.#remoteAddress = init.remoteAddress;
    this.#bindingOptions = init.binding;
    this.#heartbeatOptions = init.heartbeat;
  }

  /**
   * The peer's IP address ('' when unknown). Server sockets read it from the socket when first
   * asked (or when the connection starts closing), not during the handshake: read it while the
   * connection is open if you need it after an abrupt disconnect (the kernel forgets it then).
   */
  get remoteAddress(): string {
    if (this.#remoteAddress === null) this.#rememberAddress();
    return this.#remoteAddress ?? '';
  }

  /** Reads the peer's address from the socket while it still knows it. */
  #rememberAddress(): void {
    if (this.#remoteAddress !== null) return;
    const address = (this.#binding?.socket as { remoteAddress?: string } | undefined)?.remoteAddress;
    if (address !== undefined) this.#remoteAddress = address;
    else if (this.readyState === ReadyStates.CLOSED) this.#remoteAddress = '';
  }

  /**
   * WHATWG ready state, derived from the binding and the core: CONNECTING until the handshake,
   * CLOSING from the first Close (sent or received, in dispatch order), CLOSED when TCP closed.
   */
  get readyState(): ReadyState {
    const binding = this.#binding;
    if (binding === null) return this.#errored ? ReadyStates.CLOSED : ReadyStates.CONNECTING;
    if (binding.isClosed) return ReadyStates.CLOSED;
    return this.#closing ? ReadyStates.CLOSING : ReadyStates.OPEN;
  }

  /** The subprotocol the server selected ('' when none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The negotiated `Sec-WebSocket-Extensions` value ('' when none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** Whether this end is the server side of the connection. */
  get isServer(): boolean {
    return this.#role === 'server';
  }

  /** @internal The binding, for sending; null before the handshake. */
  protected get [kBinding](): SocketBinding | null {
    return this.#binding;
  }

  /** @internal The heartbeat, for `ping()`; null before the handshake. */
  protected get [kPings](): PingTracker | null {
    return this.#binding;
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). Any code valid on the wire is accepted
   * (1000-1003, 1007-1014, 3000-4999), not only WHATWG's 1000 and 3000-4999, because servers
   * need 1001, 1008 and 1011. While CONNECTING the attempt is aborted. The socket is destroyed
   * if the peer does not answer the Close within `closeTimeoutMs`.
   * @param code - close code; none sends an empty Close (received as 1005)
   * @param reason - at most 123 UTF-8 bytes
   * @throws RangeError or TypeError for an invalid code or reason
   */
  close(code?: number, reason?: string): void {
    const state = this.readyState;
    if (state === ReadyStates.CONNECTING) {
      this.#abort?.();
      return;
    }
    if (state !== ReadyStates.OPEN) return;
    this.#rememberAddress();
    const connection = this.#binding!.connection;
    const deflate = this.#binding!.deflate;
    if (deflate?.isBusy === true) {
      // The Close follows the messages still being compressed (validated now, sent after them).
      serializeClosePayload(code, reason);
      deflate.afterSends(() => {
        if (connection.canSend) connection.close(code, reason);
      });
    } else {
      connection.close(code, reason);
    }
    this.#closing = true;
    this.#binding!.queued();
  }

  /**
   * Discards what is still queued for the peer in user space: messages not yet handed to the
   * socket (the socket had not taken the previous write: the peer reads slower than we send) and
   * messages waiting for compression. Bytes already handed to the kernel cannot be taken back.
   * Only while OPEN; once a Close is queued it is kept.
   *
   * This is how to drop a consumer that does not keep up: discard, send a last message, close.
   * The last message and the Close then leave right behind the bytes already written instead of
   * behind megabytes of backlog, and the close timeout (`closeTimeoutMs`) destroys the socket if
   * the peer does not answer the Close in time: the connection ends within that bound.
   *
   * @example
   * ```ts
   * ws.discardQueued();
   * ws.send(JSON.stringify({ type: 'disconnect', code: 4010 }));
   * ws.close(4010, 'slow consumer');
   * ```
   * @returns the bytes discarded (0 when not OPEN)
   */
  discardQueued(): number {
    if (this.readyState !== ReadyStates.OPEN) return 0;
    return this.#binding!.discardQueued();
  }

  /** Destroys the connection at once, without a closing handshake (close code 1006 locally). */
  terminate(): void {
    if (this.readyState === ReadyStates.CONNECTING) {
      this.#abort?.();
      return;
    }
    this.#rememberAddress();
    this.#binding?.destroy();
  }

  /** @internal TCP closed, before the `close` event is dispatched. */
  protected abstract [kClosed](): void;

  /** @internal The async iterator's queue is long (true) or drained (false). */
  protected override [kPauseForIterator](on: boolean): void {
    if (on) this.#binding?.pause(PauseReason.ITERATOR);
    else this.#binding?.resume(PauseReason.ITERATOR);
  }

  /**
   * @internal The ws adapter's access; null until the handshake completed.
   * @param sink - when given, every message (also while CLOSING, as ws does) goes to it instead of
   *   `onmessage`, listeners and iterators
   */
  [kAdapter](sink?: RawMessageSink): AdapterAccess | null {
    if (sink !== undefined) this.#rawSink = sink;
    if (this.#binding === null) return null;
    return { connection: this.#binding.connection, binding: this.#binding, deflate: this.#binding.deflate };
  }

  /** @internal Connecting: how to abort the attempt. */
  [kSetAbort](abort: (() => void) | null): void {
    this.#abort = abort;
  }

  /**
   * @internal The handshake succeeded: bind the socket. Server sockets are OPEN from here; the
   * binding starts reading when {@link kStart} is called.
   */
  [kAttach](
    socket: Duplex,
    connection: Connection,
    init: { protocol: string; extensions: string; remoteAddress?: string; deflate?: PerMessageDeflate | null },
  ): void {
    if (init.remoteAddress !== undefined) this.#remoteAddress = init.remoteAddress;
    this.#protocol = init.protocol;
    this.#extensions = init.extensions;
    this.#abort = null;
    // This object is the binding's and the heartbeat's handler (symbol-keyed methods: no closure, no hooks object).
    const binding = new SocketBinding(socket, connection, {
      role: this.#role,
      options: this.#bindingOptions,
      deflate: init.deflate ?? null,
      handlers: this,
      heartbeat: this.#heartbeatOptions,
    });
    this.#binding = binding;
    binding.pause(PauseReason.START);
    this.#openedAt = Math.floor(performance.now());
    if (channels.open.hasSubscribers) {
      channels.open.publish({
        socket: this,
        remoteAddress: this.remoteAddress,
        protocol: this.#protocol,
        role: this.#role,
      });
    }
  }

  /**
   * @internal Starts reading: dispatches `open` for clients, feeds the bytes that arrived with
   * the handshake, starts the heartbeat.
   */
  [kStart](head: Uint8Array | null, dispatchOpen: boolean): void {
    const binding = this.#binding;
    if (binding === null) return;
    binding.startHeartbeat();
    if (dispatchOpen) this[kEmit](new WebSocketEvent('open', this), this.onopen);
    if (binding.isClosed) return;
    if (head !== null && head.length > 0) binding.receive(head);
    binding.resume(PauseReason.START);
  }

  /** @internal The client handshake failed or was aborted: error, then close 1006 (WHATWG). */
  [kFailConnecting](err: Error): void {
    if (this.readyState !== ReadyStates.CONNECTING) return;
    this.#abort = null;
    this.#errored = true;
    this[kEmit](new WebSocketErrorEvent(err, this), this.onerror);
    this[kEndIteration]();
    this[kEmit](
      new WebSocketCloseEvent({ code: CloseCode.ABNORMAL_CLOSURE, reason: '', wasClean: false, target: this }),
      this.onclose,
    );
  }

  #onEvents(events: ConnectionEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case 'message':
          if (this.#rawSink !== null) this.#rawSink(event.data, event.binary);
          // WHATWG: messages are delivered only while OPEN (not after close() was called).
          else if (this.readyState === ReadyStates.OPEN) this[kDeliver](event.data, event.binary);
          break;
        case 'ping':
          if (this[kHasListener]('ping'))
            this[kEmit](
              new WebSocketMessageEvent(asBuffer(event.data), { binary: true, target: this, type: 'ping' }),
              null,
            );
          break;
        case 'pong':
          this.#binding?.pong(event.data);
          if (this[kHasListener]('pong'))
            this[kEmit](
              new WebSocketMessageEvent(asBuffer(event.data), { binary: true, target: this, type: 'pong' }),
              null,
            );
          break;
        case 'closing':
          this.#closing = true;
          break;
        case 'close':
          this.#closing = true;
          this.#rememberAddress();
          this.#closeInfo = {
            code: event.code,
            reason: event.reason,
            wasClean: event.wasClean && event.error === null,
          };
          if (event.error !== null) this.#fail(event.error);
          break;
        case 'inflate':
          // The binding runs inflate events through its DeflateChannel; one reaches us only if the
          // core was told the extension was negotiated without a channel, an engine bug.
          this.#binding!.connection.fail(CloseCode.INTERNAL_ERROR, 'Compression is not supported');
          break;
      }
    }
  }

  #onSlowConsumer(action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void {
    if (channels.slowConsumer.hasSubscribers) {
      channels.slowConsumer.publish({
        socket: this,
        policy: this.#bindingOptions.slowConsumerPolicy,
        action,
        bufferedAmount,
      });
    }
    if (action === 'closed') {
      // The backlog would hold the Close back: drop it, so the peer learns why soon.
      this.discardQueued();
      this.close(this.#bindingOptions.slowConsumerCloseCode, 'Slow consumer');
    }
  }

  /** @internal {@link BindingHandlers}: core events in arrival order. */
  [kCoreEvents](events: ConnectionEvent[]): void {
    this.#onEvents(events);
  }

  /** @internal {@link BindingHandlers}: a send crossed the high-water mark. */
  [kSlowConsumer](action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void {
    this.#onSlowConsumer(action, bufferedAmount);
  }

  /** @internal {@link BindingHandlers}: a reset peer is routine for servers: reported as an error event, never thrown. */
  [kSocketError](err: Error): void {
    this.#fail(err);
  }

  /** @internal {@link BindingHandlers}: TCP is gone. */
  [kSocketClosed](): void {
    this.#onSocketClosed();
  }

  /** @internal {@link BindingHandlers}: a heartbeat's round trip. */
  [kHeartbeatRtt](rttMs: number): void {
    if (channels.ping.hasSubscribers) channels.ping.publish({ socket: this, rttMs });
  }

  #fail(err: Error): void {
    if (this.#errored) return;
    this.#errored = true;
    if (channels.error.hasSubscribers) channels.error.publish({ socket: this, error: err });
    this[kEmit](new WebSocketErrorEvent(err, this), this.onerror);
  }

  /**
   * The close code the connection ended with, as decided by the end that closed first: the code
   * of our Close when we sent one (an echo of the peer's when it closed first), else the peer's,
   * else 1006. What metrics count: a Close 4010 the peer never answered is still a 4010.
   */
  #decidedCode(): number {
    const lifecycle = this.#binding?.connection.lifecycle;
    if (lifecycle === undefined || lifecycle.phase === 'open') return CloseCode.ABNORMAL_CLOSURE;
    return lifecycle.sent?.code ?? lifecycle.received?.code ?? CloseCode.ABNORMAL_CLOSURE;
  }

  #onSocketClosed(): void {
    this.#rememberAddress();
    this.#binding?.stopPings();
    const info = this.#closeInfo;
    const code = info?.code ?? CloseCode.ABNORMAL_CLOSURE;
    const reason = info?.reason ?? '';
    const wasClean = info?.wasClean ?? false;
    this[kEndIteration]();
    this[kClosed]();
    if (channels.close.hasSubscribers) {
      channels.close.publish({
        socket: this,
        code,
        decidedCode: this.#decidedCode(),
        reason,
        wasClean,
        durationMs: performance.now() - this.#openedAt,
      });
    }
    this[kEmit](new WebSocketCloseEvent({ code, reason, wasClean, target: this }), this.onclose);
  }
}

// Node binding: moves bytes between one socket and its sans-I/O Connection, batching writes per tick.
import type { Duplex } from 'node:stream';
import { CloseCode, Opcode, type Connection, type ConnectionEvent } from '../protocol/index.ts';
import type { PerMessageDeflate } from './deflate.ts';
import { DeflateChannel } from './deflate-channel.ts';
import { FrameSender, type SendHooks, type SendOptions } from './frame-sender.ts';
import { ReadyStates } from './ready-states.ts';

export { kSlowConsumer, type MessageOpcode, type SlowConsumerPolicy } from './frame-sender.ts';

/** Per-connection I/O options, shared by both roles. */
export interface BindingOptions extends SendOptions {
  /** Time allowed for the peer to answer our Close or to close TCP after the handshake. */
  readonly closeTimeoutMs: number;
  /** Close code of the `close` policy (1008 or 1013). */
  readonly slowConsumerCloseCode: number;
  /** Budget shared by a server's connections for bytes of incomplete frames and messages (LM-06); null for none. */
  readonly inputBudget: InputBudget | null;
}

/**
 * Bytes held by the cores of many connections for frames and messages still incomplete. When a
 * read takes the total past `limit`, the connection that grew fails with 1013 (try again later):
 * many peers each just under the per-connection caps cannot pin the process's memory (LM-06).
 */
export interface InputBudget {
  readonly limit: number;
  used: number;
}

/** @internal {@link BindingHandlers} members: symbols, so the WebSocket itself is the handler (no object per connection). */
export const kCoreEvents = Symbol('switchboard.coreEvents');
/** @internal */
export const kSocketError = Symbol('switchboard.socketError');
/** @internal */
export const kSocketClosed = Symbol('switchboard.socketClosed');
/** @internal */
export const kHeartbeatRtt = Symbol('switchboard.heartbeatRtt');

/** Callbacks from the binding to its WebSocket. */
export interface BindingHandlers extends SendHooks {
  /** Core events in arrival order; the array is owned by the callee. */
  [kCoreEvents](events: ConnectionEvent[]): void;
  /** The socket reported an error (a 'closed' call follows). */
  [kSocketError](err: Error): void;
  /** The TCP connection is gone. */
  [kSocketClosed](): void;
  /** A heartbeat's pong arrived after `rttMs`. */
  [kHeartbeatRtt](rttMs: number): void;
}

/** Reasons to stop reading from the socket; reading resumes when none is left. */
export const PauseReason = {
  /** The socket did not take the last write at once: replies would pile up. */
  WRITE: 1,
  /** The async iterator's queue is long. */
  ITERATOR: 2,
  /** Attached but not started: the application has not seen the socket yet. */
  START: 4,
  /** The application asked (ws adapter `pause()`). */
  USER: 8,
  /** A compressed frame is being inflated: the core buffers input meanwhile, so stop reading more. */
  INFLATE: 16,
} as const;

/** The state bits of a {@link SocketBinding}. */
const Bound = {
  /** Inside a read: sends are flushed at its end, not on the next tick. */
  IN_READ: 1,
  /** Listed for this tick's flush. */
  QUEUED: 2,
  /** Our FIN is sent (or the socket ended). */
  ENDED: 4,
  /** The TCP connection is gone. */
  CLOSED: 8,
  /** The shared 'drain' listener is on the socket. */
  DRAIN_LISTENED: 16,
} as const;

/** The socket's binding, for the shared listeners below (one function per event for all connections, no closures). */
const kBinding = Symbol('switchboard.binding');
type BoundSocket = Duplex & { [kBinding]?: SocketBinding };
// Assigned in SocketBinding's static block, where they can reach its private members.
let onSocketData: (this: BoundSocket, chunk: Uint8Array) => void;
let onSocketEnd: (this: BoundSocket) => void;
let onSocketDrain: (this: BoundSocket) => void;
let onSocketError: (this: BoundSocket, err: Error) => void;
let onSocketClose: (this: BoundSocket) => void;
let closeTimedOut: (binding: SocketBinding) => void;

let dirty: SocketBinding[] = [];
let flushScheduled = false;

/** Flushes every binding that queued output outside a read, once per tick (no setImmediate per message). */
function flushDirty(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (let i = 0; i < list.length; i++) list[i]!.flush();
}

/**
 * Binds one socket to one {@link Connection}. Socket `data` goes to `connection.receive()`, the
 * resulting events go to the handlers, and everything the core queued (replies produced by the
 * handlers included) leaves in one write: the replies to one read cost one syscall.
 * Sends (the `send*` methods of {@link FrameSender}) made outside a read are collected and written
 * once per tick.
 */
export class SocketBinding extends FrameSender<BindingOptions, BindingHandlers> {
  readonly #deflate: DeflateChannel | null;
  /** {@link Bound} bits: four booleans in one small integer (24 bytes less per connection than four fields). */
  #state = 0;
  #pauseReasons = 0;
  #closeTimer: NodeJS.Timeout | null = null;
  #inputBytes = 0;
  /** The callback handed to zlib, made on first use (an idle connection never needs it). */
  #afterInflateCallback: (() => void) | null = null;

  /**
   * @param socket - the upgraded socket; the binding owns it from now on
   * @param connection - the core for this socket
   * @param init - role, options and handlers
   */
  constructor(
    socket: Duplex,
    connection: Connection,
    init: {
      role: 'server' | 'client';
      options: BindingOptions;
      handlers: BindingHandlers;
      heartbeat: { readonly pingIntervalMs: number; readonly pongTimeoutMs: number };
      deflate?: PerMessageDeflate | null;
    },
  ) {
    super(socket, connection, {
      role: init.role,
      options: init.options,
      hooks: init.handlers,
      heartbeat: init.heartbeat,
    });
    const deflate = init.deflate ?? null;
    this.#deflate =
      deflate === null
        ? null
        : new DeflateChannel(connection, deflate, { role: init.role, hooks: { queued: () => this.queued() } });
    const s = socket as Duplex & {
      setNoDelay?: (on: boolean) => void;
      setTimeout?: (ms: number) => void;
      timeout?: number;
    };
    // Our own batching replaces Nagle: every write is already a complete batch. (net.Socket skips the
    // syscall when Node's http server already turned Nagle off.)
    s.setNoDelay?.(true);
    // An idle timeout of the application's http.Server must not cut the connection. Only a socket
    // that has one is touched: `setTimeout(0)` on the others would add a `timeout` property to each
    // (measured with bench/conn-heap.mjs: out-of-object property storage on every idle socket).
    if (s.timeout !== undefined && s.timeout > 0) s.setTimeout?.(0);
    (socket as BoundSocket)[kBinding] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    // 'drain' only matters once a stream write was refused: listened to from then on (see outputBlocked).
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if ((socket as { destroyed?: boolean }).destroyed === true) queueMicrotask(() => this.#onClose());
  }

  static {
    onSocketData = function (chunk) {
      this[kBinding]!.#onData(chunk);
    };
    onSocketEnd = function () {
      this[kBinding]!.#onEnd();
    };
    onSocketDrain = function () {
      this[kBinding]!.drained();
    };
    onSocketError = function (err) {
      this[kBinding]!.hooks[kSocketError](err);
    };
    onSocketClose = function () {
      this[kBinding]!.#onClose();
    };
    closeTimedOut = (binding) => binding.destroy();
  }

  /** Bytes accepted by `send*` but not yet delivered to the kernel (WHATWG `bufferedAmount`). */
  get bufferedAmount(): number {
    const pending = this.#deflate === null ? 0 : this.#deflate.pendingBytes;
    return this.core.outputBytes + this.inFlight + pending;
  }

  /** permessage-deflate of this connection, or null. */
  get deflate(): DeflateChannel | null {
    return this.#deflate;
  }

  /** The sans-I/O core this binding drives. */
  get connection(): Connection {
    return this.core;
  }

  /** Whether writes bypass the socket's Writable layer (see direct-write.ts). */
  get directWrites(): boolean {
    return this.direct;
  }

  /** Whether the TCP connection is gone. */
  get isClosed(): boolean {
    return (this.#state & Bound.CLOSED) !== 0;
  }

  /** Feeds bytes that arrived with the handshake (`head`), as if the socket had read them. */
  receive(chunk: Uint8Array): void {
    this.#onData(chunk);
  }

  #onData(chunk: Uint8Array): void {
    const connection = this.core;
    this.#state |= Bound.IN_READ;
    connection.receive(chunk);
    const budget = this.options.inputBudget;
    if (budget !== null) this.#account(budget);
    if (connection.hasEvents) this.#dispatch(connection.takeEvents());
    this.#state &= ~Bound.IN_READ;
    this.flush();
  }

  /**
   * Hands events to the WebSocket. An `inflate` event is always the last of a batch (the core stops
   * decoding after it): the events before it are dispatched, reading pauses, and the frame goes to
   * zlib; {@link #afterInflate} continues with whatever the core decodes next.
   */
  #dispatch(events: ConnectionEvent[]): void {
    const last = events[events.length - 1];
    const deflate = this.#deflate;
    if (last === undefined || last.type !== 'inflate' || deflate === null) {
      this.hooks[kCoreEvents](events);
      return;
    }
    events.pop();
    if (events.length > 0) this.hooks[kCoreEvents](events);
    if ((this.#state & Bound.CLOSED) !== 0) return;
    this.pause(PauseReason.INFLATE);
    this.#afterInflateCallback ??= () => this.#afterInflate();
    deflate.inflate(last.data, last.fin, this.#afterInflateCallback);
  }

  #afterInflate(): void {
    const connection = this.core;
    this.#state |= Bound.IN_READ;
    const budget = this.options.inputBudget;
    if (budget !== null) this.#account(budget);
    if (connection.hasEvents) this.#dispatch(connection.takeEvents());
    this.#state &= ~Bound.IN_READ;
    this.flush();
    if (!connection.isInflating) this.resume(PauseReason.INFLATE);
  }

  #account(budget: InputBudget): void {
    const now = this.core.bufferedInputBytes;
    const grew = now - this.#inputBytes;
    budget.used += grew;
    this.#inputBytes = now;
    if (grew > 0 && budget.used > budget.limit) {
      // RFC 6455 §7.4.1 1013: "the service is experiencing overload".
      this.core.fail(CloseCode.TRY_AGAIN_LATER, 'Server busy');
      budget.used -= now;
      this.#inputBytes = 0;
    }
  }

  /**
   * Schedules the write of what the core holds: at the end of the current read, or once per tick
   * when the send happened outside a read.
   */
  queued(): void {
    if ((this.#state & (Bound.IN_READ | Bound.QUEUED)) !== 0) return;
    this.#state |= Bound.QUEUED;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushDirty);
    }
  }

  /** Writes everything the core queued, in one syscall when possible, then applies close-state rules. */
  flush(): void {
    this.#state &= ~Bound.QUEUED;
    const connection = this.core;
    if (connection.hasOutput) {
      // A gone or ended socket takes nothing any more; a blocked one gets the output once it took the last write.
      if (!this.socket.writable) connection.takeOutput();
      else if (!this.blocked) this.writeFrames(connection.takeOutput());
    }
    if (connection.readyState !== 1) this.#afterClose();
  }

  /** @internal The socket did not take the last write at once. */
  protected outputBlocked(): void {
    if ((this.#state & Bound.DRAIN_LISTENED) === 0) {
      // Node emits 'drain' on a later tick, after the refused write returned: listening now is in time.
      this.#state |= Bound.DRAIN_LISTENED;
      this.socket.on('drain', onSocketDrain);
    }
    this.pause(PauseReason.WRITE);
  }

  /** @internal The socket took it; the output held meanwhile goes now, then the deferred FIN. */
  protected outputReleased(): void {
    // Resuming is asynchronous (next tick): a flush below that blocks again pauses again first.
    this.resume(PauseReason.WRITE);
    this.flush();
  }

  /** Server ends TCP once the close handshake is over (RFC 6455 §7.1.1); both roles arm the close timer. */
  #afterClose(): void {
    if ((this.#state & Bound.CLOSED) !== 0) return;
    if (this.core.readyState === ReadyStates.CLOSED && (this.#state & Bound.ENDED) === 0) {
      // RFC 6455 §7.1.1: "the underlying TCP connection ... SHOULD be closed first by the server";
      // the client waits for the server's FIN, bounded by the close timer.
      // Behind a blocked write: the output held meanwhile goes first ({@link released}).
      if (this.role === 'server' && !this.blocked) {
        this.#state |= Bound.ENDED;
        this.socket.end();
      }
    }
    if (this.#closeTimer === null) {
      this.#closeTimer = setTimeout(closeTimedOut, this.options.closeTimeoutMs, this);
      this.#closeTimer.unref();
    }
  }

  /**
   * Calls `cb` once every byte queued so far was handed to the kernel (ws's send callback), or
   * with an error when the socket closed first.
   * @param cb - called exactly once
   */
  whenFlushed(cb: (err: Error | null) => void): void {
    this.queued();
    // After this tick's flush: the output then marks the point behind everything queued so far.
    process.nextTick(() => this.whenOutputFlushed(cb));
  }

  /** Stops reading for `reason` (a {@link PauseReason} bit). */
  pause(reason: number): void {
    if (this.#pauseReasons === 0) this.socket.pause();
    this.#pauseReasons |= reason;
  }

  /** Clears `reason`; reading resumes when no reason is left. */
  resume(reason: number): void {
    if (this.#pauseReasons === 0) return;
    this.#pauseReasons &= ~reason;
    if (this.#pauseReasons === 0 && (this.#state & Bound.CLOSED) === 0) this.socket.resume();
  }

  #onEnd(): void {
    // The peer sent FIN. Upgraded server sockets allow half-open connections, so end ours too.
    const connection = this.core;
    if (this.blocked) {
      // Output held behind a blocked write goes through the stream now: it queues behind that write.
      if (connection.hasOutput && this.socket.writable) this.writeStream(connection.takeOutput());
    } else if (connection.hasOutput) {
      this.flush();
    }
    if ((this.#state & Bound.ENDED) === 0) {
      this.#state |= Bound.ENDED;
      this.socket.end();
    }
  }

  #onClose(): void {
    if ((this.#state & Bound.CLOSED) !== 0) return;
    this.#state |= Bound.CLOSED;
    const budget = this.options.inputBudget;
    if (budget !== null) {
      budget.used -= this.#inputBytes;
      this.#inputBytes = 0;
    }
    if (this.#closeTimer !== null) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = null;
    }
    this.closeOutput();
    // Releases zlib memory and drops sends still waiting for a compression.
    this.#deflate?.close();
    this.hooks[kSocketClosed]();
  }

  /** @internal Heartbeat: queue a ping. */
  protected sendPingFrame(payload: Uint8Array): void {
    this.sendControl(Opcode.PING, payload);
  }

  /** @internal Heartbeat: no pong in time (RX-03, RX-05). */
  protected peerDead(): void {
    this.destroy();
  }

  /** @internal Heartbeat: a pong's round trip. */
  protected heartbeatRtt(rttMs: number): void {
    this.hooks[kHeartbeatRtt](rttMs);
  }

  /** Destroys the socket at once (no close frame). */
  destroy(): void {
    this.socket.destroy();
  }
}

// Node binding: moves bytes between one socket and its sans-I/O Connection, batching writes per tick.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Connection, ConnectionEvent } from '../protocol/index.ts';
import type { PerMessageDeflate } from './deflate.ts';
import { DeflateChannel } from './deflate-channel.ts';

/**
 * What a connection does when a send would take `bufferedAmount` past the high-water mark.
 * `wait` queues anyway (the application watches `bufferedAmount`), `drop` discards the message,
 * `close` closes the connection with the configured code (1008 by default, 1013 is the alternative).
 */
export type SlowConsumerPolicy = 'wait' | 'drop' | 'close';

/** Per-connection I/O options, shared by both roles. */
export interface BindingOptions {
  /** Time allowed for the peer to answer our Close or to close TCP after the handshake. */
  readonly closeTimeoutMs: number;
  /** Bytes queued before the slow-consumer policy applies. */
  readonly sendHighWaterMark: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
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

/** Callbacks from the binding to its WebSocket, created once per connection. */
export interface BindingHandlers {
  /** Core events in arrival order; the array is owned by the callee. */
  events(events: ConnectionEvent[]): void;
  /** A send crossed the high-water mark; `action` is what the policy does ('closed': the handler closes with the configured code). */
  slowConsumer(action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void;
  /** The socket reported an error (a 'closed' call follows). */
  error(err: Error): void;
  /** The TCP connection is gone. */
  closed(): void;
}

/** Reasons to stop reading from the socket; reading resumes when none is left. */
export const PauseReason = {
  /** The socket's write buffer is above its high-water mark: replies would pile up. */
  WRITE: 1,
  /** The async iterator's queue is long. */
  ITERATOR: 2,
  /** Attached but not started: the application has not seen the socket yet. */
  START: 4,
  /** The application asked (ws adapter `pause()`). */
  USER: 8,
  /** A compressed frame is being inflated: the core buffers input meanwhile, so stop reading more. */
  INFLATE: 16,
  /** A write that bypassed the stream (see {@link SocketBinding.flush}) waits in libuv for the kernel. */
  DIRECT_WRITE: 32,
} as const;

/** Frames of at most this many bytes in total are concatenated into one write; above, cork/writev. */
const CONCAT_LIMIT = 16 * 1024;
/** The write that marks a flush point for {@link SocketBinding.whenFlushed}. */
const EMPTY_CHUNK = new Uint8Array(0);

/**
 * What a plain TCP `net.Socket` offers below its Writable layer: `_writeGeneric(writev, data,
 * encoding, cb)` hands bytes to the handle (libuv tries the syscall at once and queues the rest
 * in order), calling `cb` synchronously when the kernel took everything. Node's own `_write` and
 * `_writev` are one-line wrappers around it. `_handle.writeQueueSize` is what libuv still holds.
 */
interface DirectSocket {
  _writeGeneric(writev: boolean, data: unknown, encoding: string, cb: (err?: Error | null) => void): void;
  readonly _handle: { readonly writeQueueSize?: number } | null;
  readonly connecting: boolean;
}

/** Chunks for `_writeGeneric`'s writev: Node's Writable hands `{ chunk }` entries with `allBuffers` set. */
type DirectChunks = Array<{ chunk: Uint8Array } | Uint8Array> & { allBuffers?: boolean };

/** `SWITCHBOARD_STREAM_WRITES=1` turns direct writes off (diagnosis, A/B measurement). */
const DIRECT_WRITES = process.env['SWITCHBOARD_STREAM_WRITES'] !== '1';

/**
 * Whether writes may skip the socket's Writable machinery. Only for exactly `net.Socket` (TLS and
 * other Duplex streams keep the stream path) with the internal method present, so a Node version
 * without it falls back to `socket.write`.
 */
function supportsDirectWrite(socket: Duplex): boolean {
  return (
    DIRECT_WRITES &&
    Object.getPrototypeOf(socket) === Socket.prototype &&
    typeof (socket as unknown as Partial<DirectSocket>)._writeGeneric === 'function'
  );
}

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
 * Sends made outside a read are collected and written once per tick.
 */
export class SocketBinding {
  readonly #socket: Duplex;
  readonly #connection: Connection;
  readonly #handlers: BindingHandlers;
  readonly #options: BindingOptions;
  readonly #role: 'server' | 'client';
  #inRead = false;
  #queued = false;
  #queuedBytes = 0;
  #pauseReasons = 0;
  #ended = false;
  #closed = false;
  #closeTimer: NodeJS.Timeout | null = null;
  #overHighWater = false;
  #inputBytes = 0;
  readonly #deflate: DeflateChannel | null;
  /** The socket takes direct writes (plain TCP), see {@link flush}. */
  readonly #direct: boolean;
  /** A direct write is inside `_writeGeneric` (its callback tells sync from async completion). */
  #directCalling = false;
  /** The direct write's callback ran during the call: the kernel took every byte. */
  #directDone = false;
  /** A direct write waits in libuv for the kernel: new output stays in the core until it completes. */
  #directPending = false;
  /** Bytes of the pending direct write, for `bufferedAmount` when the handle does not report its queue. */
  #directBytes = 0;
  /** {@link whenFlushed} callbacks that arrived while output was held behind a pending direct write. */
  #flushWaiters: Array<(err: Error | null) => void> | null = null;
  /** Callbacks handed to zlib and libuv, made on first use (an idle connection never needs them). */
  #afterInflateCallback: (() => void) | null = null;
  #directWrittenCallback: ((err?: Error | null) => void) | null = null;

  /**
   * @param socket - the upgraded socket; the binding owns it from now on
   * @param connection - the core for this socket
   * @param init - role, options and handlers
   */
  constructor(
    socket: Duplex,
    connection: Connection,
    init: { role: 'server' | 'client'; options: BindingOptions; handlers: BindingHandlers; deflate?: PerMessageDeflate | null },
  ) {
    this.#socket = socket;
    this.#connection = connection;
    this.#handlers = init.handlers;
    this.#options = init.options;
    this.#role = init.role;
    const deflate = init.deflate ?? null;
    this.#deflate = deflate === null ? null : new DeflateChannel(connection, deflate, { role: init.role, hooks: { queued: (bytes) => this.queued(bytes) } });
    this.#direct = supportsDirectWrite(socket);
    const s = socket as Duplex & { setNoDelay?: (on: boolean) => void; setTimeout?: (ms: number) => void };
    // Our own batching replaces Nagle: every write is already a complete batch.
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    (socket as BoundSocket)[kBinding] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if ((socket as { destroyed?: boolean }).destroyed === true) queueMicrotask(() => this.#onClose());
  }

  static {
    onSocketData = function (chunk) { this[kBinding]!.#onData(chunk); };
    onSocketEnd = function () { this[kBinding]!.#onEnd(); };
    onSocketDrain = function () { this[kBinding]!.resume(PauseReason.WRITE); };
    onSocketError = function (err) { this[kBinding]!.#handlers.error(err); };
    onSocketClose = function () { this[kBinding]!.#onClose(); };
    closeTimedOut = (binding) => binding.destroy();
  }

  /** Bytes accepted by `send*` but not yet delivered to the kernel (WHATWG `bufferedAmount`). */
  get bufferedAmount(): number {
    const pending = this.#deflate === null ? 0 : this.#deflate.pendingBytes;
    let direct = 0;
    if (this.#directPending) {
      // Nothing else is queued in libuv meanwhile (new output waits in the core), so its queue is ours.
      const handle = (this.#socket as unknown as DirectSocket)._handle;
      direct = handle === null ? 0 : handle.writeQueueSize ?? this.#directBytes;
    }
    return this.#socket.writableLength + this.#queuedBytes + pending + direct;
  }

  /** permessage-deflate of this connection (sends go through it to keep their order), or null. */
  get deflate(): DeflateChannel | null {
    return this.#deflate;
  }

  /** Whether the TCP connection is gone. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Feeds bytes that arrived with the handshake (`head`), as if the socket had read them. */
  receive(chunk: Uint8Array): void {
    this.#onData(chunk);
  }

  #onData(chunk: Uint8Array): void {
    const connection = this.#connection;
    this.#inRead = true;
    connection.receive(chunk);
    const budget = this.#options.inputBudget;
    if (budget !== null) this.#account(budget);
    if (connection.hasEvents) this.#dispatch(connection.takeEvents());
    this.#inRead = false;
    this.flush();
  }

  /**
   * Hands events to the WebSocket. An `inflate` event is always the last of a batch (the core stops
   * decoding after it, STYLE §5): the events before it are dispatched, reading pauses, and the
   * frame goes to zlib; {@link #afterInflate} continues with whatever the core decodes next.
   */
  #dispatch(events: ConnectionEvent[]): void {
    const last = events[events.length - 1];
    const deflate = this.#deflate;
    if (last === undefined || last.type !== 'inflate' || deflate === null) {
      this.#handlers.events(events);
      return;
    }
    events.pop();
    if (events.length > 0) this.#handlers.events(events);
    if (this.#closed) return;
    this.pause(PauseReason.INFLATE);
    deflate.inflate(last.data, last.fin, this.#afterInflateCallback ??= () => this.#afterInflate());
  }

  #afterInflate(): void {
    const connection = this.#connection;
    this.#inRead = true;
    const budget = this.#options.inputBudget;
    if (budget !== null) this.#account(budget);
    if (connection.hasEvents) this.#dispatch(connection.takeEvents());
    this.#inRead = false;
    this.flush();
    if (!connection.isInflating) this.resume(PauseReason.INFLATE);
  }

  #account(budget: InputBudget): void {
    const now = this.#connection.bufferedInputBytes;
    const grew = now - this.#inputBytes;
    budget.used += grew;
    this.#inputBytes = now;
    if (grew > 0 && budget.used > budget.limit) {
      // RFC 6455 §7.4.1 1013: "the service is experiencing overload".
      this.#connection.fail(1013, 'Server busy');
      budget.used -= now;
      this.#inputBytes = 0;
    }
  }

  /**
   * Applies the slow-consumer policy before a data send of `size` bytes.
   * @returns true when the message may be queued
   */
  admit(size: number): boolean {
    const buffered = this.bufferedAmount;
    if (buffered + size <= this.#options.sendHighWaterMark || buffered === 0) {
      this.#overHighWater = false;
      return true;
    }
    switch (this.#options.slowConsumerPolicy) {
      case 'wait':
        if (!this.#overHighWater) {
          this.#overHighWater = true;
          this.#handlers.slowConsumer('queued', buffered);
        }
        return true;
      case 'drop':
        this.#handlers.slowConsumer('dropped', buffered);
        return false;
      case 'close':
        // The handler starts the closing handshake; the close timer ends a peer that never reads it.
        this.#handlers.slowConsumer('closed', buffered);
        return false;
    }
  }

  /**
   * Records that the core holds new output of `bytes` bytes; it is written at the end of the
   * current read, or once per tick when the send happened outside a read.
   */
  queued(bytes: number): void {
    this.#queuedBytes += bytes;
    if (this.#inRead || this.#queued) return;
    this.#queued = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushDirty);
    }
  }

  /** Writes everything the core queued, in one syscall when possible, then applies close-state rules. */
  flush(): void {
    this.#queued = false;
    const connection = this.#connection;
    const socket = this.#socket;
    if (connection.hasOutput) {
      if (!socket.writable) {
        connection.takeOutput(); // the socket is gone or ended: nothing can be written any more
        this.#queuedBytes = 0;
      } else if (!this.#directPending) {
        const out = connection.takeOutput();
        this.#queuedBytes = 0;
        if (this.#direct && this.#canWriteDirect(socket)) this.#writeDirect(socket as unknown as DirectSocket, out);
        else this.#writeStream(socket, out);
      }
      // else: held in the core (counted in bufferedAmount) until the pending direct write completes.
    }
    if (connection.readyState !== 1) this.#afterClose();
  }

  /**
   * Direct writes keep the byte order only while the Writable holds nothing (a chunk buffered or
   * in flight there would be dispatched after ours), nobody corked it, and the handle is connected.
   */
  #canWriteDirect(socket: Duplex): boolean {
    return (
      socket.writableLength === 0 &&
      socket.writableCorked === 0 &&
      (socket as unknown as DirectSocket)._handle != null &&
      !(socket as unknown as DirectSocket).connecting
    );
  }

  /**
   * The stream path: `socket.write` per chunk under cork (one writev), or one concatenated write.
   */
  #writeStream(socket: Duplex, out: Uint8Array[]): void {
    let ok: boolean;
    if (out.length === 1) {
      ok = socket.write(out[0]!);
    } else {
      let total = 0;
      for (let i = 0; i < out.length; i++) total += out[i]!.length;
      if (total <= CONCAT_LIMIT) {
        // Copying a few small frames is cheaper than one stream write per frame.
        ok = socket.write(Buffer.concat(out, total));
      } else {
        // Above that, cork so the stream hands all chunks to one writev.
        socket.cork();
        ok = true;
        for (let i = 0; i < out.length; i++) ok = socket.write(out[i]!);
        socket.uncork();
      }
    }
    // Stop reading while the kernel does not take our bytes: replies (echoes, pongs) cannot
    // pile up in memory faster than the peer reads them.
    if (!ok) this.pause(PauseReason.WRITE);
  }

  /**
   * The direct path: the chunks go to the socket's handle in one `write`/`writev` without the
   * Writable layer (its per-write state, buffering and after-write tick cost more than the
   * syscall's own user-space work for small frames, as in a fan-out). libuv writes what the kernel
   * takes at once and queues the rest; then reading pauses and new output waits in the core until
   * the write completes ({@link #onDirectWritten}), so libuv never holds more than this one write.
   */
  #writeDirect(socket: DirectSocket, out: Uint8Array[]): void {
    let total = 0;
    for (let i = 0; i < out.length; i++) total += out[i]!.length;
    const written = this.#directWrittenCallback ??= (err) => this.#onDirectWritten(err);
    this.#directCalling = true;
    this.#directDone = false;
    if (out.length === 1) {
      socket._writeGeneric(false, out[0]!, 'buffer', written);
    } else if (total <= CONCAT_LIMIT) {
      socket._writeGeneric(false, Buffer.concat(out, total), 'buffer', written);
    } else {
      const chunks: DirectChunks = new Array(out.length);
      for (let i = 0; i < out.length; i++) chunks[i] = { chunk: out[i]! };
      chunks.allBuffers = true;
      socket._writeGeneric(true, chunks, '', written);
    }
    this.#directCalling = false;
    if (this.#directDone) return;
    this.#directPending = true;
    this.#directBytes = total;
    this.pause(PauseReason.DIRECT_WRITE);
  }

  #onDirectWritten(err?: Error | null): void {
    // As the Writable does on a failed write: the socket is destroyed ('error', then 'close').
    if (err != null) this.#socket.destroy(err);
    if (this.#directCalling) {
      this.#directDone = true;
      return;
    }
    this.#directPending = false;
    this.#directBytes = 0;
    // Resuming is asynchronous (next tick): a flush below that must wait again pauses again first.
    this.resume(PauseReason.DIRECT_WRITE);
    // The output held meanwhile goes now (a closed socket drops it), then the deferred FIN.
    this.flush();
    const waiters = this.#flushWaiters;
    if (waiters !== null) {
      // Everything queued before these calls has been handed to the socket: mark the point behind it.
      this.#flushWaiters = null;
      for (let i = 0; i < waiters.length; i++) this.#markFlushed(waiters[i]!);
    }
  }

  /** Server ends TCP once the close handshake is over (RFC 6455 §7.1.1); both roles arm the close timer. */
  #afterClose(): void {
    if (this.#closed) return;
    if (this.#connection.readyState === 3 && !this.#ended) {
      // RFC 6455 §7.1.1: "the underlying TCP connection ... SHOULD be closed first by the server";
      // the client waits for the server's FIN, bounded by the close timer.
      // After a pending direct write: the output held behind it goes first (#onDirectWritten).
      if (this.#role === 'server' && !this.#directPending) {
        this.#ended = true;
        this.#socket.end();
      }
    }
    if (this.#closeTimer === null) {
      this.#closeTimer = setTimeout(closeTimedOut, this.#options.closeTimeoutMs, this);
      this.#closeTimer.unref();
    }
  }

  /**
   * Calls `cb` once every byte queued so far was handed to the kernel (ws's send callback), or
   * with an error when the socket closed first. An empty write after this tick's flush marks the
   * point: write callbacks run in order.
   * @param cb - called exactly once
   */
  whenFlushed(cb: (err: Error | null) => void): void {
    this.queued(0);
    process.nextTick(() => {
      if (this.#directPending && !this.#closed) {
        (this.#flushWaiters ??= []).push(cb);
        return;
      }
      this.#markFlushed(cb);
    });
  }

  /** An empty stream write after everything handed to the socket so far; libuv completes writes in order. */
  #markFlushed(cb: (err: Error | null) => void): void {
    const socket = this.#socket;
    if (this.#closed || !socket.writable) {
      cb(new Error('Cannot send: the socket closed before the data was written'));
      return;
    }
    socket.write(EMPTY_CHUNK, (err?: Error | null) => cb(err ?? null));
  }

  /** Stops reading for `reason` (a {@link PauseReason} bit). */
  pause(reason: number): void {
    if (this.#pauseReasons === 0) this.#socket.pause();
    this.#pauseReasons |= reason;
  }

  /** Clears `reason`; reading resumes when no reason is left. */
  resume(reason: number): void {
    if (this.#pauseReasons === 0) return;
    this.#pauseReasons &= ~reason;
    if (this.#pauseReasons === 0 && !this.#closed) this.#socket.resume();
  }

  #onEnd(): void {
    // The peer sent FIN. Upgraded server sockets allow half-open connections, so end ours too.
    if (this.#directPending) {
      // Output held behind a pending direct write goes through the stream: libuv queues it behind.
      const connection = this.#connection;
      if (connection.hasOutput && this.#socket.writable) {
        this.#queuedBytes = 0;
        this.#writeStream(this.#socket, connection.takeOutput());
      }
    } else if (this.#connection.hasOutput) {
      this.flush();
    }
    if (!this.#ended) {
      this.#ended = true;
      this.#socket.end();
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const budget = this.#options.inputBudget;
    if (budget !== null) {
      budget.used -= this.#inputBytes;
      this.#inputBytes = 0;
    }
    if (this.#closeTimer !== null) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = null;
    }
    const waiters = this.#flushWaiters;
    if (waiters !== null) {
      this.#flushWaiters = null;
      for (let i = 0; i < waiters.length; i++) this.#markFlushed(waiters[i]!);
    }
    // Releases zlib memory and drops sends still waiting for a compression.
    this.#deflate?.close();
    this.#handlers.closed();
  }

  /** Destroys the socket at once (no close frame). */
  destroy(): void {
    this.#socket.destroy();
  }
}

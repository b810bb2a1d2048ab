// Node binding: hands a connection's frames to its socket, one write at a time, and tells when the socket is saturated.
import type { Duplex } from 'node:stream';
import { CONCAT_LIMIT, canWriteDirectNow, directQueueSize, supportsDirectWrite, writeDirect } from './direct-write.ts';
import { PingTracker } from './heartbeat.ts';

/** The state bits of {@link SocketOutput}. */
const Out = {
  /** The socket takes direct writes (plain TCP). */
  DIRECT: 1,
  /** The last write is still waiting for the socket. */
  BLOCKED: 2,
  /** A direct write is inside `_writeGeneric` (its callback tells sync from async completion). */
  DIRECT_CALLING: 4,
  /** The direct write's callback ran during the call: the kernel took every byte. */
  DIRECT_DONE: 8,
  /** A direct write waits in libuv for the kernel. */
  DIRECT_PENDING: 16,
  /** The socket closed. */
  CLOSED: 32,
} as const;

/** The write that marks a flush point for {@link SocketOutput.whenFlushed}. */
const EMPTY_CHUNK = new Uint8Array(0);

/**
 * The output side of one socket. Frames go to the kernel directly (plain TCP, see
 * direct-write.ts) or through the stream (TLS, other Duplex streams, or when the stream path is
 * forced). Once the socket does not take a write at once (a direct write waits in libuv, or the
 * stream passed its high-water mark), the output is {@link blocked}: the binding then keeps new
 * frames in the core, where they can still be discarded, until the socket takes that write.
 * So at most one write's worth of bytes sits below the engine, whatever the peer does.
 *
 * A layer of the connection's binding (see {@link PingTracker}): the subclass is told when the
 * output is blocked and released.
 */
export abstract class SocketOutput extends PingTracker {
  readonly #socket: Duplex;
  /** {@link Out} bits: six booleans in one small integer (48 bytes less per connection than six fields). */
  #out = 0;
  /** Bytes of the pending direct write, for {@link inFlight} when the handle does not report its queue. */
  #directBytes = 0;
  /** {@link whenFlushed} callbacks that arrived while the output was blocked. */
  #flushWaiters: Array<(err: Error | null) => void> | null = null;
  /** The callback handed to libuv, made on first use (an idle connection never needs it). */
  #directWritten: ((err?: Error | null) => void) | null = null;

  /**
   * @param socket - the upgraded socket
   * @param heartbeat - the heartbeat's interval and pong timeout
   */
  constructor(socket: Duplex, heartbeat: { pingIntervalMs: number; pongTimeoutMs: number }) {
    super(heartbeat);
    this.#socket = socket;
    if (supportsDirectWrite(socket)) this.#out = Out.DIRECT;
  }

  /** A write did not complete at once: stop reading, and hold new output until {@link outputReleased}. */
  protected abstract outputBlocked(): void;

  /** The socket took the blocked write: resume reading and write what was held. */
  protected abstract outputReleased(): void;

  /** The socket (kept after it closed: its `remoteAddress` may still be cached there). */
  get socket(): Duplex {
    return this.#socket;
  }

  /** Whether writes bypass the socket's Writable layer (plain TCP on a Node that allows it). */
  get direct(): boolean {
    return (this.#out & Out.DIRECT) !== 0;
  }

  /** Whether the last write is still waiting for the socket: new output must be held. */
  get blocked(): boolean {
    return (this.#out & Out.BLOCKED) !== 0;
  }

  /** Bytes handed to the socket and not yet to the kernel (the stream's buffer, or libuv's queue). */
  get inFlight(): number {
    const direct = (this.#out & Out.DIRECT_PENDING) !== 0 ? directQueueSize(this.#socket, this.#directBytes) : 0;
    return this.#socket.writableLength + direct;
  }

  /**
   * Writes `out` in one syscall when possible.
   * @param out - frames taken from the core, in order
   */
  writeFrames(out: Uint8Array[]): void {
    const socket = this.#socket;
    if ((this.#out & Out.DIRECT) !== 0 && canWriteDirectNow(socket)) this.#writeDirect(out);
    else if (!this.writeStream(out)) this.#block();
  }

  /**
   * The stream path: one write, a concatenation of small frames, or a corked series (one writev).
   * Also used after the peer's FIN, when held output must follow a blocked write at once.
   * @returns false when the stream is above its high-water mark
   */
  writeStream(out: Uint8Array[]): boolean {
    const socket = this.#socket;
    if (out.length === 1) return socket.write(out[0]!);
    let total = 0;
    for (let i = 0; i < out.length; i++) total += out[i]!.length;
    if (total <= CONCAT_LIMIT) return socket.write(Buffer.concat(out, total));
    socket.cork();
    let ok = true;
    for (let i = 0; i < out.length; i++) ok = socket.write(out[i]!);
    socket.uncork();
    return ok;
  }

  #writeDirect(out: Uint8Array[]): void {
    let total = 0;
    for (let i = 0; i < out.length; i++) total += out[i]!.length;
    this.#out = (this.#out | Out.DIRECT_CALLING) & ~Out.DIRECT_DONE;
    this.#directWritten ??= (err) => this.#onDirectWritten(err);
    writeDirect(this.#socket, out, total, this.#directWritten);
    this.#out &= ~Out.DIRECT_CALLING;
    if ((this.#out & Out.DIRECT_DONE) !== 0) return;
    this.#out |= Out.DIRECT_PENDING;
    this.#directBytes = total;
    this.#block();
  }

  #onDirectWritten(err?: Error | null): void {
    // As the Writable does on a failed write: the socket is destroyed ('error', then 'close').
    if (err != null) this.#socket.destroy(err);
    if ((this.#out & Out.DIRECT_CALLING) !== 0) {
      this.#out |= Out.DIRECT_DONE;
      return;
    }
    this.#out &= ~Out.DIRECT_PENDING;
    this.#directBytes = 0;
    this.#release();
  }

  /** The stream's 'drain': a write blocked by the stream's high-water mark is done. */
  drained(): void {
    if ((this.#out & (Out.BLOCKED | Out.DIRECT_PENDING)) === Out.BLOCKED) this.#release();
  }

  #block(): void {
    if ((this.#out & Out.BLOCKED) !== 0) return;
    this.#out |= Out.BLOCKED;
    this.outputBlocked();
  }

  #release(): void {
    if ((this.#out & Out.BLOCKED) === 0) return;
    this.#out &= ~Out.BLOCKED;
    // The subclass writes the output held meanwhile (which may block again), then the flush points
    // behind everything queued before them are marked.
    this.outputReleased();
    const waiters = this.#flushWaiters;
    if (waiters === null) return;
    this.#flushWaiters = null;
    for (let i = 0; i < waiters.length; i++) this.#markFlushed(waiters[i]!);
  }

  /**
   * Calls `cb` once every byte written so far is handed to the kernel, or with an error when the
   * socket closed first. Call it after the binding flushed what was queued before.
   * @param cb - called exactly once
   */
  whenOutputFlushed(cb: (err: Error | null) => void): void {
    if ((this.#out & (Out.BLOCKED | Out.CLOSED)) !== Out.BLOCKED) {
      this.#markFlushed(cb);
      return;
    }
    this.#flushWaiters ??= [];
    this.#flushWaiters.push(cb);
  }

  /** An empty stream write after everything handed to the socket so far; libuv completes writes in order. */
  #markFlushed(cb: (err: Error | null) => void): void {
    const socket = this.#socket;
    if ((this.#out & Out.CLOSED) !== 0 || !socket.writable) {
      cb(new Error('Cannot send: the socket closed before the data was written'));
      return;
    }
    socket.write(EMPTY_CHUNK, (err?: Error | null) => cb(err ?? null));
  }

  /** The socket closed: flush waiters learn it. */
  closeOutput(): void {
    this.#out |= Out.CLOSED;
    const waiters = this.#flushWaiters;
    if (waiters === null) return;
    this.#flushWaiters = null;
    for (let i = 0; i < waiters.length; i++) this.#markFlushed(waiters[i]!);
  }
}

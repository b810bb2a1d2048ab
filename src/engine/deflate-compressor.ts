// Node binding: the sending half of permessage-deflate (RFC 7692 §7.2.1): a connection's raw deflater and one-shot broadcast compression.
import zlib from 'node:zlib';
import { zlibWindowBits } from '../protocol/index.ts';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.ts';

/**
 * The payload of an empty compressed message (RFC 7692 §7.2.3.6): one byte, the start of an empty
 * stored block whose remaining `00 00 ff ff` the receiver appends. zlib emits nothing for an empty
 * sync-flushed write after a previous flush, so this is built by hand.
 */
const EMPTY_MESSAGE = Buffer.from([0x00]);

interface DeflateJob {
  readonly callback: (err: Error | null, payload: Buffer | null) => void;
  readonly done: () => void;
  chunks: Buffer[];
  length: number;
  settled: boolean;
}

function ignoreError(): void {}

/**
 * The compressing half of a `PerMessageDeflate` (deflate.ts): the raw deflater of one connection,
 * created on first use and released after every message when this side's `no_context_takeover`
 * was negotiated, after a failure, and on {@link close}. Runs one message at a time: the caller's
 * lane orders the calls to {@link start} and hands each the `done` that frees its limiter slot.
 */
export class ConnectionDeflater {
  /** Window bits (as given to zlib) of what this side sends. */
  readonly #windowBits: number;
  /** Whether this side starts every message from an empty window. */
  readonly #noContext: boolean;
  #stream: zlib.DeflateRaw | null = null;
  #job: DeflateJob | null = null;

  /**
   * @param windowBits - window bits as given to zlib (see `zlibWindowBits`)
   * @param noContextTakeover - whether every message is compressed from an empty window
   */
  constructor(windowBits: number, noContextTakeover: boolean) {
    this.#windowBits = windowBits;
    this.#noContext = noContextTakeover;
  }

  /** Whether the zlib stream is allocated now. */
  get holdsStream(): boolean {
    return this.#stream !== null;
  }

  /**
   * Compresses one whole message, as `PerMessageDeflate.compress` describes; called from the
   * connection's deflate lane once the message holds a limiter slot.
   * @param done - frees the lane and the limiter slot; called before `callback`
   */
  start(data: Uint8Array, callback: (err: Error | null, payload: Buffer | null) => void, done: () => void): void {
    if (data.length === 0) {
      done();
      callback(null, Buffer.from(EMPTY_MESSAGE));
      return;
    }
    let stream = this.#stream;
    if (stream === null) {
      stream = createDeflater(this.#windowBits);
      stream.on('error', (err) => this.#onError(stream!, err));
      stream.on('data', (chunk: Buffer) => this.#onData(stream!, chunk));
      this.#stream = stream;
    }
    const job: DeflateJob = { callback, done, chunks: [], length: 0, settled: false };
    this.#job = job;
    stream.write(data, () => this.#onWritten(stream, job));
  }

  /**
   * Abandons the message in flight (its callback is never called; its `done` is) and releases the
   * stream. Idempotent.
   */
  close(): void {
    const job = this.#job;
    if (job !== null) {
      job.settled = true;
      job.done();
      this.#job = null;
    }
    this.#drop();
  }

  #onData(stream: zlib.DeflateRaw, chunk: Buffer): void {
    const job = this.#job;
    if (stream !== this.#stream || job === null || job.settled) return;
    job.chunks.push(chunk);
    job.length += chunk.length;
  }

  #onError(stream: zlib.DeflateRaw, err: Error): void {
    const job = this.#job;
    if (stream !== this.#stream || job === null || job.settled) return;
    job.settled = true;
    this.#job = null;
    this.#drop();
    job.done();
    job.callback(err, null);
  }

  #onWritten(stream: zlib.DeflateRaw, job: DeflateJob): void {
    if (job.settled || stream !== this.#stream) return;
    job.settled = true;
    this.#job = null;
    // RFC 7692 §7.1.1.1/§7.1.1.2: with no_context_takeover this side starts every message from an
    // empty window; the stream is released until the next message instead of being reset.
    if (this.#noContext) this.#drop();
    job.done();
    const payload = stripTail(job.chunks, job.length);
    if (payload === null)
      job.callback(new Error('Cannot compress: zlib did not end the message with a sync flush'), null);
    else job.callback(null, payload);
  }

  #drop(): void {
    const stream = this.#stream;
    if (stream === null) return;
    this.#stream = null;
    stream.removeAllListeners('data');
    stream.destroy();
  }
}

/** A raw deflater whose every write ends in a sync flush: one write, one thread-pool trip, per message. */
function createDeflater(windowBits: number): zlib.DeflateRaw {
  return zlib.createDeflateRaw({ windowBits, flush: zlib.constants.Z_SYNC_FLUSH });
}

/**
 * RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end." A sync
 * flush always ends with that empty stored block; null if it does not.
 */
function stripTail(chunks: Buffer[], length: number): Buffer | null {
  if (length < 4) return null;
  const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  if (all[length - 4] !== 0x00 || all[length - 3] !== 0x00 || all[length - 2] !== 0xff || all[length - 1] !== 0xff)
    return null;
  return all.subarray(0, length - 4);
}

/**
 * Compresses one message from an empty window, as a connection with `no_context_takeover` for
 * its sending side would: the bytes depend only on the message and the window bits, so a
 * broadcast compresses once for every such connection with the same window bits.
 * @param data - the message; read until the callback
 * @param options - `windowBits` as negotiated (8-15; 8 is compressed with 9, see `zlibWindowBits`),
 *   `limiter` (default `sharedZlibLimiter()`)
 * @param callback - the payload to send with RSV1 (owned by the callee, may be shared read-only), or an error
 */
export function deflateMessage(
  data: Uint8Array,
  options: { windowBits: number; limiter?: ZlibLimiter },
  callback: (err: Error | null, payload: Buffer | null) => void,
): void {
  const bits = zlibWindowBits(options.windowBits);
  const limiter = options.limiter ?? sharedZlibLimiter();
  limiter.add((done) => {
    if (data.length === 0) {
      done();
      callback(null, Buffer.from(EMPTY_MESSAGE));
      return;
    }
    const stream = createDeflater(bits);
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    stream.on('error', (err) => {
      if (settled) return;
      settled = true;
      done();
      callback(err, null);
    });
    stream.write(data, () => {
      if (settled) return;
      settled = true;
      stream.removeAllListeners('data');
      stream.on('error', ignoreError);
      stream.destroy();
      done();
      const payload = stripTail(chunks, length);
      if (payload === null)
        callback(new Error('Cannot compress: zlib did not end the message with a sync flush'), null);
      else callback(null, payload);
    });
  });
}

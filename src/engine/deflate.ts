// Node binding: the zlib side of permessage-deflate (RFC 7692 §7.2): per-connection streams, bounded inflation, shared compression.
import zlib from 'node:zlib';
import { ProtocolError, zlibWindowBits, type DeflateParams } from '../protocol/index.ts';
import { DEFAULT_THRESHOLD } from './deflate-config.ts';
import { Lane, sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.ts';

// The option types live in deflate-config.ts; re-exported for modules that import them from here (ws-compat).
export type {
  DeflateEngineOptions,
  PerMessageDeflateClientOptions,
  PerMessageDeflateServerOptions,
} from './deflate-config.ts';

/** RFC 7692 §7.2.1: the 4 octets a sync flush ends with, removed by the sender, restored by the receiver. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/**
 * The payload of an empty compressed message (RFC 7692 §7.2.3.6): one byte, the start of an empty
 * stored block whose remaining `00 00 ff ff` the receiver appends. zlib emits nothing for an empty
 * sync-flushed write after a previous flush, so this is built by hand.
 */
const EMPTY_MESSAGE = Buffer.from([0x00]);
/** Below this many compressed bytes, the tail is copied behind the frame so zlib sees one write (one thread-pool trip). */
const JOIN_TAIL_LIMIT = 64 * 1024;

/** Options of {@link PerMessageDeflate}. */
export interface PerMessageDeflateOptions {
  /** Which end this is: the server compresses with the `server*` parameters and inflates with the `client*` ones. */
  readonly role: 'server' | 'client';
  /** The negotiated parameters (from `acceptDeflateOffer` or `validateDeflateResponse`). */
  readonly params: DeflateParams;
  /**
   * Messages smaller than this many bytes are sent uncompressed (see {@link PerMessageDeflate.shouldCompress}).
   * @default 1024, as ws: below about 1 KiB the deflate header and a thread-pool round trip cost more than they save
   */
  readonly threshold?: number;
  /**
   * Largest inflated message in bytes; inflation stops at the first output chunk that crosses it
   * (close 1009), so a decompression bomb costs at most this much memory plus one zlib chunk.
   * @default 67108864 (64 MiB), the Connection's default `maxMessageSize`
   */
  readonly maxMessageSize?: number;
  /**
   * The limiter zlib jobs wait in.
   * @default sharedZlibLimiter(10)
   */
  readonly limiter?: ZlibLimiter;
}

/** Called with each inflated chunk (owned by the callee); return false to stop inflating (the consumer failed). */
export type InflateSink = (chunk: Buffer) => boolean;

interface InflateJob {
  readonly sink: InflateSink;
  readonly callback: (err: ProtocolError | null) => void;
  readonly done: () => void;
  readonly fin: boolean;
  /** The stream's input count once this frame's bytes (without the appended tail) are written. */
  readonly mustConsume: number;
  /** The frame's last byte, -1 when empty. */
  readonly lastByte: number;
  settled: boolean;
}

interface DeflateJob {
  readonly callback: (err: Error | null, payload: Buffer | null) => void;
  readonly done: () => void;
  chunks: Buffer[];
  length: number;
  settled: boolean;
}

type InflateStream = zlib.InflateRaw & { written: number };

function ignoreError(): void {}

function tooBig(limit: number): ProtocolError {
  return new ProtocolError(`Cannot accept a message over ${limit} bytes`, {
    code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    closeCode: 1009,
  });
}

function invalidData(detail: string, cause?: unknown): ProtocolError {
  // ws answers zlib errors with 1007 too (RFC 6455 §7.4.1: "data within a message that was not consistent with the type")
  return new ProtocolError(`Cannot inflate the message: ${detail}`, {
    code: 'WS_ERR_INVALID_COMPRESSED_DATA',
    closeCode: 1007,
    cause,
  });
}

/**
 * The zlib state of one permessage-deflate connection: one raw inflater for received messages and
 * one raw deflater for sent ones, each created on first use and released after every message when
 * the matching `no_context_takeover` was negotiated (so idle connections hold no zlib memory), and
 * on {@link close}.
 *
 * Inflation is streamed: every output chunk of zlib (16 KiB) goes to the sink at once and counts
 * against `maxMessageSize`; the chunk that crosses it destroys the stream and fails with 1009, so a
 * frame of a few KB that would inflate to gigabytes costs one chunk of work past the limit. A
 * DEFLATE stream that ends (BFINAL) before the frame's bytes do fails with 1007 (except for the
 * 4-byte tail this side appended): concatenated members cannot make zlib loop or restart.
 *
 * Operations of one direction run one at a time per connection, in call order (each then waits
 * for a slot of the shared {@link ZlibLimiter}), so compressed messages come out in the order they
 * were given; the caller still keeps its uncompressed sends behind a pending `compress`. Callbacks
 * are never called after {@link close}.
 *
 * @example
 * ```ts
 * const pmd = new PerMessageDeflate({ role: 'server', params });
 * pmd.decompress(frame, true, (chunk) => { connection.inflated(chunk); return connection.readyState !== 3; },
 *   (err) => { if (err !== null) connection.fail(err); else connection.inflateEnd(); });
 * ```
 */
export class PerMessageDeflate {
  readonly #params: DeflateParams;
  readonly #threshold: number;
  readonly #maxMessageSize: number;
  /** Operations of one direction run one at a time, in call order, each taking a limiter slot when it starts. */
  readonly #inflateLane: Lane;
  readonly #deflateLane: Lane;
  /** Window bits and context reset of what this side sends. */
  readonly #deflateBits: number;
  readonly #deflateNoContext: boolean;
  /** Window bits and context reset of what the peer sends. */
  readonly #inflateBits: number;
  readonly #inflateNoContext: boolean;
  #inflater: InflateStream | null = null;
  #deflater: zlib.DeflateRaw | null = null;
  #inflateJob: InflateJob | null = null;
  #deflateJob: DeflateJob | null = null;
  #messageBytes = 0;
  #closed = false;

  /**
   * @param options - role, negotiated parameters and limits
   * @throws RangeError for a negative threshold or message size
   */
  constructor(options: PerMessageDeflateOptions) {
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    const maxMessageSize = options.maxMessageSize ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(threshold) || threshold < 0)
      throw new RangeError(`Cannot use threshold "${threshold}": expected a non-negative integer`);
    if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 0) {
      throw new RangeError(`Cannot use maxMessageSize "${maxMessageSize}": expected a non-negative integer`);
    }
    const p = options.params;
    this.#params = p;
    this.#threshold = threshold;
    this.#maxMessageSize = maxMessageSize;
    const limiter = options.limiter ?? sharedZlibLimiter();
    this.#inflateLane = new Lane(limiter);
    this.#deflateLane = new Lane(limiter);
    const server = options.role === 'server';
    this.#deflateBits = zlibWindowBits(server ? p.serverMaxWindowBits : p.clientMaxWindowBits);
    this.#deflateNoContext = server ? p.serverNoContextTakeover : p.clientNoContextTakeover;
    this.#inflateBits = zlibWindowBits(server ? p.clientMaxWindowBits : p.serverMaxWindowBits);
    this.#inflateNoContext = server ? p.clientNoContextTakeover : p.serverNoContextTakeover;
  }

  /** The negotiated parameters. */
  get params(): DeflateParams {
    return this.#params;
  }

  /** Messages below this many bytes are sent uncompressed. */
  get threshold(): number {
    return this.#threshold;
  }

  /** Whether each sent message is compressed from an empty window (so equal messages compress to equal bytes). */
  get compressesWithoutContext(): boolean {
    return this.#deflateNoContext;
  }

  /** Window bits (as given to zlib) of what this side compresses. */
  get deflateWindowBits(): number {
    return this.#deflateBits;
  }

  /** Whether zlib streams are allocated now (for memory accounting and tests). */
  get holdsZlibMemory(): boolean {
    return this.#inflater !== null || this.#deflater !== null;
  }

  /**
   * Whether a message of `byteLength` bytes should be compressed: at least `threshold` bytes, as
   * ws decides (`threshold` 0 compresses everything, empty messages included).
   * @param byteLength - the message's size in bytes
   */
  shouldCompress(byteLength: number): boolean {
    return byteLength >= this.#threshold;
  }

  /**
   * Inflates one compressed frame (RFC 7692 §7.2.2): the frame's bytes, plus `00 00 ff ff` after
   * the last frame of the message, through this connection's raw inflater.
   * @param data - the frame payload (unmasked); read until the callback, never kept after
   * @param fin - whether the frame ends the message
   * @param sink - receives each inflated chunk at once; returns false to stop (the callback then gets null)
   * @param callback - null when the frame is inflated (or the sink stopped it), or the ProtocolError
   *   to fail the connection with: 1009 over `maxMessageSize`, 1007 for invalid DEFLATE data
   */
  decompress(data: Uint8Array, fin: boolean, sink: InflateSink, callback: (err: ProtocolError | null) => void): void {
    this.#inflateLane.add((done) => this.#startInflate(data, fin, sink, callback, done));
  }

  /**
   * Compresses one whole message (RFC 7692 §7.2.1): a sync flush through this connection's raw
   * deflater with the final `00 00 ff ff` removed. Send the result as one frame with RSV1 set.
   * @param data - the message; read until the callback, never modified
   * @param callback - the compressed payload (owned by the callee), or an error (zlib failure)
   */
  compress(data: Uint8Array, callback: (err: Error | null, payload: Buffer | null) => void): void {
    this.#deflateLane.add((done) => this.#startDeflate(data, callback, done));
  }

  /**
   * Releases the zlib streams at once. Operations in flight or queued are abandoned: their
   * callbacks are never called, and their limiter slots are freed. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inflateLane.close();
    this.#deflateLane.close();
    const inflateJob = this.#inflateJob;
    if (inflateJob !== null) {
      inflateJob.settled = true;
      inflateJob.done();
      this.#inflateJob = null;
    }
    const deflateJob = this.#deflateJob;
    if (deflateJob !== null) {
      deflateJob.settled = true;
      deflateJob.done();
      this.#deflateJob = null;
    }
    this.#dropInflater();
    this.#dropDeflater();
  }

  #startInflate(
    data: Uint8Array,
    fin: boolean,
    sink: InflateSink,
    callback: (err: ProtocolError | null) => void,
    done: () => void,
  ): void {
    let stream = this.#inflater;
    if (stream === null) {
      stream = zlib.createInflateRaw({ windowBits: this.#inflateBits }) as InflateStream;
      stream.written = 0;
      // Never removed: an error that zlib reports after we gave up on the stream (a malformed block
      // behind the size limit) must not become an unhandled 'error' (GHSA-3wwx-pv8p-q78v).
      stream.on('error', (err) => this.#onInflateError(stream!, err));
      stream.on('data', (chunk: Buffer) => this.#onInflateData(stream!, chunk));
      this.#inflater = stream;
    }
    const before = stream.written;
    const lastByte = data.length > 0 ? data[data.length - 1]! : -1;
    const job: InflateJob = { sink, callback, done, fin, mustConsume: before + data.length, lastByte, settled: false };
    this.#inflateJob = job;
    const onWritten = (): void => this.#onInflateWritten(stream, job);
    // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the message"
    if (!fin) {
      stream.written += data.length;
      stream.write(data, onWritten);
    } else if (data.length <= JOIN_TAIL_LIMIT) {
      const joined = Buffer.allocUnsafe(data.length + 4);
      joined.set(data, 0);
      joined.set(TAIL, data.length);
      stream.written += joined.length;
      stream.write(joined, onWritten);
    } else {
      stream.written += data.length + 4;
      stream.write(data);
      stream.write(TAIL, onWritten);
    }
  }

  #onInflateData(stream: InflateStream, chunk: Buffer): void {
    const job = this.#inflateJob;
    if (stream !== this.#inflater || job === null || job.settled) return;
    this.#messageBytes += chunk.length;
    // The limit counts inflated bytes, checked per output chunk (A9, A10, A15 in docs/security-cases.md).
    if (this.#messageBytes > this.#maxMessageSize) {
      this.#abortInflate(job, tooBig(this.#maxMessageSize));
      return;
    }
    if (!job.sink(chunk)) this.#abortInflate(job, null);
  }

  #onInflateError(stream: InflateStream, err: Error): void {
    const job = this.#inflateJob;
    if (stream !== this.#inflater || job === null || job.settled) return; // swallowed: the stream was already abandoned
    this.#abortInflate(job, invalidData('invalid DEFLATE data', err));
  }

  #onInflateWritten(stream: InflateStream, job: InflateJob): void {
    if (job.settled || stream !== this.#inflater) return;
    // zlib stops at the end of a DEFLATE stream (a BFINAL block) and leaves the rest unconsumed.
    // RFC 7692 §7.2.3.4 allows a message that ends with a BFINAL block: the sender then appends an
    // empty stored block (`00` plus the `00 00 ff ff` it removes, §7.2.1), so `00` + our tail, or
    // the tail alone, may remain after the last frame. Anything else is a second stream member or
    // junk, and is refused instead of restarting zlib on it (A16: concatenated members).
    const unconsumed = stream.written - stream.bytesWritten;
    if (unconsumed > 0) {
      const fromFrame = job.mustConsume - stream.bytesWritten;
      const emptyBlockOrTail = job.fin && (fromFrame <= 0 || (fromFrame === 1 && job.lastByte === 0x00));
      if (!emptyBlockOrTail) {
        this.#abortInflate(job, invalidData('data after the end of the DEFLATE stream'));
        return;
      }
    }
    job.settled = true;
    this.#inflateJob = null;
    if (unconsumed > 0 || (job.fin && this.#inflateNoContext)) {
      // The stream ended (its window cannot continue), or RFC 7692 §7.1.1.2/§7.1.1.1: the peer
      // resets its context after each message, so ours holds nothing worth keeping.
      this.#dropInflater();
    }
    if (job.fin) this.#messageBytes = 0;
    job.done();
    job.callback(null);
  }

  #abortInflate(job: InflateJob, err: ProtocolError | null): void {
    job.settled = true;
    this.#inflateJob = null;
    this.#messageBytes = 0;
    this.#dropInflater();
    job.done();
    job.callback(err);
  }

  #dropInflater(): void {
    const stream = this.#inflater;
    if (stream === null) return;
    this.#inflater = null;
    stream.removeAllListeners('data');
    // The 'error' listener stays: destroy() may race with work already in the thread pool.
    stream.destroy();
  }

  #startDeflate(
    data: Uint8Array,
    callback: (err: Error | null, payload: Buffer | null) => void,
    done: () => void,
  ): void {
    if (data.length === 0) {
      done();
      callback(null, Buffer.from(EMPTY_MESSAGE));
      return;
    }
    let stream = this.#deflater;
    if (stream === null) {
      stream = createDeflater(this.#deflateBits);
      stream.on('error', (err) => this.#onDeflateError(stream!, err));
      stream.on('data', (chunk: Buffer) => this.#onDeflateData(stream!, chunk));
      this.#deflater = stream;
    }
    const job: DeflateJob = { callback, done, chunks: [], length: 0, settled: false };
    this.#deflateJob = job;
    stream.write(data, () => this.#onDeflateWritten(stream, job));
  }

  #onDeflateData(stream: zlib.DeflateRaw, chunk: Buffer): void {
    const job = this.#deflateJob;
    if (stream !== this.#deflater || job === null || job.settled) return;
    job.chunks.push(chunk);
    job.length += chunk.length;
  }

  #onDeflateError(stream: zlib.DeflateRaw, err: Error): void {
    const job = this.#deflateJob;
    if (stream !== this.#deflater || job === null || job.settled) return;
    job.settled = true;
    this.#deflateJob = null;
    this.#dropDeflater();
    job.done();
    job.callback(err, null);
  }

  #onDeflateWritten(stream: zlib.DeflateRaw, job: DeflateJob): void {
    if (job.settled || stream !== this.#deflater) return;
    job.settled = true;
    this.#deflateJob = null;
    // RFC 7692 §7.1.1.1/§7.1.1.2: with no_context_takeover this side starts every message from an
    // empty window; the stream is released until the next message instead of being reset.
    if (this.#deflateNoContext) this.#dropDeflater();
    job.done();
    const payload = stripTail(job.chunks, job.length);
    if (payload === null)
      job.callback(new Error('Cannot compress: zlib did not end the message with a sync flush'), null);
    else job.callback(null, payload);
  }

  #dropDeflater(): void {
    const stream = this.#deflater;
    if (stream === null) return;
    this.#deflater = null;
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

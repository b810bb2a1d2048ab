// Node binding: the receiving half of permessage-deflate (RFC 7692 §7.2.2): one raw inflater per connection, bounded by maxMessageSize.
import zlib from 'node:zlib';
import { ProtocolError } from '../protocol/index.ts';

/** RFC 7692 §7.2.1: the 4 octets a sync flush ends with, removed by the sender, restored by the receiver. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Below this many compressed bytes, the tail is copied behind the frame so zlib sees one write (one thread-pool trip). */
const JOIN_TAIL_LIMIT = 64 * 1024;

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

type InflateStream = zlib.InflateRaw & { written: number };

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
 * The inflating half of a `PerMessageDeflate` (deflate.ts): the raw inflater of one connection, created
 * on first use and released after every message when the peer's `no_context_takeover` was
 * negotiated, after a failure, and on {@link close}. Runs one frame at a time: the caller's lane
 * orders the calls to {@link start} and hands each the `done` that frees its limiter slot.
 */
export class ConnectionInflater {
  /** Window bits (as given to zlib) of what the peer sends. */
  readonly #windowBits: number;
  /** Whether the peer resets its context after each message. */
  readonly #noContext: boolean;
  readonly #maxMessageSize: number;
  #stream: InflateStream | null = null;
  #job: InflateJob | null = null;
  #messageBytes = 0;

  /**
   * @param windowBits - window bits as given to zlib (see `zlibWindowBits`)
   * @param noContextTakeover - whether the peer compresses every message from an empty window
   * @param maxMessageSize - largest inflated message in bytes (checked per output chunk)
   */
  constructor(windowBits: number, noContextTakeover: boolean, maxMessageSize: number) {
    this.#windowBits = windowBits;
    this.#noContext = noContextTakeover;
    this.#maxMessageSize = maxMessageSize;
  }

  /** Whether the zlib stream is allocated now. */
  get holdsStream(): boolean {
    return this.#stream !== null;
  }

  /**
   * Inflates one compressed frame, as `PerMessageDeflate.decompress` describes; called from
   * the connection's inflate lane once the frame holds a limiter slot.
   * @param done - frees the lane and the limiter slot; called before `callback`
   */
  start(
    data: Uint8Array,
    fin: boolean,
    sink: InflateSink,
    callback: (err: ProtocolError | null) => void,
    done: () => void,
  ): void {
    let stream = this.#stream;
    if (stream === null) {
      stream = zlib.createInflateRaw({ windowBits: this.#windowBits }) as InflateStream;
      stream.written = 0;
      // Never removed: an error that zlib reports after we gave up on the stream (a malformed block
      // behind the size limit) must not become an unhandled 'error' (GHSA-3wwx-pv8p-q78v).
      stream.on('error', (err) => this.#onError(stream!, err));
      stream.on('data', (chunk: Buffer) => this.#onData(stream!, chunk));
      this.#stream = stream;
    }
    const before = stream.written;
    const lastByte = data.length > 0 ? data[data.length - 1]! : -1;
    const job: InflateJob = { sink, callback, done, fin, mustConsume: before + data.length, lastByte, settled: false };
    this.#job = job;
    const onWritten = (): void => this.#onWritten(stream, job);
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

  /**
   * Abandons the frame in flight (its callback is never called; its `done` is) and releases the
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

  #onData(stream: InflateStream, chunk: Buffer): void {
    const job = this.#job;
    if (stream !== this.#stream || job === null || job.settled) return;
    this.#messageBytes += chunk.length;
    // The limit counts inflated bytes, checked per output chunk (A9, A10, A15 in docs/security-cases.md).
    if (this.#messageBytes > this.#maxMessageSize) {
      this.#abort(job, tooBig(this.#maxMessageSize));
      return;
    }
    if (!job.sink(chunk)) this.#abort(job, null);
  }

  #onError(stream: InflateStream, err: Error): void {
    const job = this.#job;
    if (stream !== this.#stream || job === null || job.settled) return; // swallowed: the stream was already abandoned
    this.#abort(job, invalidData('invalid DEFLATE data', err));
  }

  #onWritten(stream: InflateStream, job: InflateJob): void {
    if (job.settled || stream !== this.#stream) return;
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
        this.#abort(job, invalidData('data after the end of the DEFLATE stream'));
        return;
      }
    }
    job.settled = true;
    this.#job = null;
    if (unconsumed > 0 || (job.fin && this.#noContext)) {
      // The stream ended (its window cannot continue), or RFC 7692 §7.1.1.2/§7.1.1.1: the peer
      // resets its context after each message, so ours holds nothing worth keeping.
      this.#drop();
    }
    if (job.fin) this.#messageBytes = 0;
    job.done();
    job.callback(null);
  }

  #abort(job: InflateJob, err: ProtocolError | null): void {
    job.settled = true;
    this.#job = null;
    this.#messageBytes = 0;
    this.#drop();
    job.done();
    job.callback(err);
  }

  #drop(): void {
    const stream = this.#stream;
    if (stream === null) return;
    this.#stream = null;
    stream.removeAllListeners('data');
    // The 'error' listener stays: destroy() may race with work already in the thread pool.
    stream.destroy();
  }
}

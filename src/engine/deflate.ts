// Node binding: the zlib side of permessage-deflate (RFC 7692 §7.2): the per-connection pair of an inflater
// (deflate-inflater.ts) and a deflater (deflate-compressor.ts) on the shared zlib limiter.
import { type ProtocolError, zlibWindowBits, type DeflateParams } from '../protocol/index.ts';
import { ConnectionDeflater } from './deflate-compressor.ts';
import { DEFAULT_THRESHOLD } from './deflate-config.ts';
import { ConnectionInflater, type InflateSink } from './deflate-inflater.ts';
import { Lane, sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.ts';

// The option types live in deflate-config.ts; re-exported for modules that import them from here (ws-compat).
export type {
  DeflateEngineOptions,
  PerMessageDeflateClientOptions,
  PerMessageDeflateServerOptions,
} from './deflate-config.ts';
// Broadcast compression lives in deflate-compressor.ts; re-exported for the modules that import it from here.
export { deflateMessage } from './deflate-compressor.ts';

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
  /** Operations of one direction run one at a time, in call order, each taking a limiter slot when it starts. */
  readonly #inflateLane: Lane;
  readonly #deflateLane: Lane;
  /** The raw inflater of what the peer sends, with its window bits, context reset and size cap. */
  readonly #inflater: ConnectionInflater;
  /** The raw deflater of what this side sends, with its window bits and context reset. */
  readonly #deflater: ConnectionDeflater;
  /** Window bits and context reset of what this side sends. */
  readonly #deflateBits: number;
  readonly #deflateNoContext: boolean;
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
    const limiter = options.limiter ?? sharedZlibLimiter();
    this.#inflateLane = new Lane(limiter);
    this.#deflateLane = new Lane(limiter);
    const server = options.role === 'server';
    this.#deflateBits = zlibWindowBits(server ? p.serverMaxWindowBits : p.clientMaxWindowBits);
    this.#deflateNoContext = server ? p.serverNoContextTakeover : p.clientNoContextTakeover;
    this.#deflater = new ConnectionDeflater(this.#deflateBits, this.#deflateNoContext);
    this.#inflater = new ConnectionInflater(
      zlibWindowBits(server ? p.clientMaxWindowBits : p.serverMaxWindowBits),
      server ? p.clientNoContextTakeover : p.serverNoContextTakeover,
      maxMessageSize,
    );
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
    return this.#inflater.holdsStream || this.#deflater.holdsStream;
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
    this.#inflateLane.add((done) => this.#inflater.start(data, fin, sink, callback, done));
  }

  /**
   * Compresses one whole message (RFC 7692 §7.2.1): a sync flush through this connection's raw
   * deflater with the final `00 00 ff ff` removed. Send the result as one frame with RSV1 set.
   * @param data - the message; read until the callback, never modified
   * @param callback - the compressed payload (owned by the callee), or an error (zlib failure)
   */
  compress(data: Uint8Array, callback: (err: Error | null, payload: Buffer | null) => void): void {
    this.#deflateLane.add((done) => this.#deflater.start(data, callback, done));
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
    this.#inflater.close();
    this.#deflater.close();
  }
}

// Sans-I/O protocol core: message assembly from frames (RFC 6455 §5.4, §5.6). No sockets, no timers.

import { ProtocolError, protocolViolation } from './errors.ts';
import { Opcode } from './opcode.ts';
import { Utf8Validator } from './utf8.ts';

/** A complete message or a compressed frame for the engine's inflater. */
export type AssembledEvent =
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'inflate'; data: Uint8Array; fin: boolean };

/** Options of {@link MessageAssembler}. */
export interface MessageAssemblerOptions {
  /** Largest message in bytes (after inflation). */
  readonly maxMessageSize: number;
  /** Most frames per message, empty ones included (Infinity: no cap). */
  readonly maxFragments: number;
  /** Native whole-buffer UTF-8 check handed to the validator (see {@link Utf8Validator}). */
  readonly utf8Check?: (data: Uint8Array) => boolean;
}

// Payload pieces below LARGE_PIECE are copied into blocks instead of being kept as views, so a
// stream of small fragments neither pins whole socket chunks nor costs an array entry and a view
// per fragment (A6/A7 in docs/security-cases.md): a message's memory is its bytes, however it was cut.
// Blocks grow with the message (16 KiB up to 1 MiB), so even a 64 MiB message of 1-byte
// fragments is held in about 70 blocks; larger pieces are kept by reference (one entry per
// 64 KiB or more).
const LARGE_PIECE = 64 * 1024;
const MIN_BLOCK = 16 * 1024;
const MAX_BLOCK = 1024 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * The least header budget of a message's continuation frames, so that a tiny maxMessageSize still
 * lets a small message be cut into many frames (64 KiB of headers: ~10,900 masked empty frames).
 */
const MIN_FRAGMENT_OVERHEAD = 64 * 1024;

/** An assembler's limits, resolved: `maxOverhead` is the continuation headers' budget. */
interface AssemblerLimits {
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly maxOverhead: number;
  readonly utf8Check: ((data: Uint8Array) => boolean) | undefined;
}

/** The last limits {@link assemblerLimits} made (frozen: shared by every assembler with the same options). */
let lastLimits: AssemblerLimits | null = null;

/**
 * Every connection of a server has the same limits: the previous result is shared when it matches, so an idle
 * connection holds one reference instead of four fields and a boxed `Infinity` (~40 bytes, bench/conn-heap.mjs).
 * @param options - the assembler's options
 * @returns the resolved limits
 */
function assemblerLimits(options: MessageAssemblerOptions): AssemblerLimits {
  const last = lastLimits;
  if (
    last !== null &&
    last.maxMessageSize === options.maxMessageSize &&
    last.maxFragments === options.maxFragments &&
    last.utf8Check === options.utf8Check
  )
    return last;
  lastLimits = Object.freeze({
    maxMessageSize: options.maxMessageSize,
    maxFragments: options.maxFragments,
    maxOverhead: Math.max(options.maxMessageSize, MIN_FRAGMENT_OVERHEAD),
    utf8Check: options.utf8Check,
  });
  return lastLimits;
}

/** Collects message bytes; one copy at the end, none for a single large piece. */
class ByteCollector {
  #parts: Uint8Array[] = [];
  #block: Uint8Array | null = null;
  #blockUsed = 0;
  length = 0;

  /** Number of buffers held (for tests: it must not grow with the number of small pieces). */
  get partCount(): number {
    return this.#parts.length + (this.#block === null ? 0 : 1);
  }

  add(piece: Uint8Array): void {
    const n = piece.length;
    if (n === 0) return;
    if (n >= LARGE_PIECE) {
      this.#flushBlock();
      this.#parts.push(piece);
      this.length += n;
      return;
    }
    const block = this.#block;
    if (block !== null && block.length - this.#blockUsed >= n) {
      block.set(piece, this.#blockUsed);
      this.#blockUsed += n;
      this.length += n;
      return;
    }
    let at = 0;
    if (block !== null) {
      // Fill the current block to the brim, then continue in a new one.
      at = block.length - this.#blockUsed;
      block.set(piece.subarray(0, at), this.#blockUsed);
      this.#blockUsed = block.length;
      this.length += at;
      this.#flushBlock();
    }
    const size = Math.max(n - at, Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, this.length)));
    const next = new Uint8Array(size);
    next.set(at === 0 ? piece : piece.subarray(at), 0);
    this.#block = next;
    this.#blockUsed = n - at;
    this.length += n - at;
  }

  /** Returns all bytes as one buffer and empties the collector. */
  take(): Uint8Array {
    this.#flushBlock();
    const parts = this.#parts;
    const total = this.length;
    this.#parts = [];
    this.length = 0;
    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  clear(): void {
    this.#parts = [];
    this.#block = null;
    this.#blockUsed = 0;
    this.length = 0;
  }

  #flushBlock(): void {
    if (this.#block !== null && this.#blockUsed > 0) {
      this.#parts.push(this.#block.subarray(0, this.#blockUsed));
    }
    // The rest of a flushed block is never reused: views must not overlap.
    this.#block = null;
    this.#blockUsed = 0;
  }
}

/**
 * Fragmentation, size limits and text validation. Fed by the connection with data frame headers
 * and payload pieces; returns a `message` event when a message completes, or an `inflate` event
 * when a compressed frame is complete (the engine then calls {@link inflated} and {@link inflateEnd}).
 */
export class MessageAssembler {
  /** The limits, shared by every assembler made with the same ones (see {@link assemblerLimits}). */
  readonly #limits: AssemblerLimits;
  /**
   * The UTF-8 state of a text message that arrives in several pieces, made on the first such piece; a text message
   * whole in one piece (the common case) is checked by the shared {@link WHOLE} validator at once.
   */
  #validator: Utf8Validator | null = null;
  /** The fragmented (or inflated) message in progress, made on first use: most messages arrive as one view. */
  #message: ByteCollector | null = null;
  /** The compressed frame in progress, made on first use (permessage-deflate only). */
  #frame: ByteCollector | null = null;
  #inMessage = false;
  #binary = false;
  #compressed = false;
  #fin = false;
  #fragments = 0;
  #size = 0;
  #overhead = 0;

  /** @param options - limits */
  constructor(options: MessageAssemblerOptions) {
    this.#limits = assemblerLimits(options);
  }

  /** Whether a fragmented message is in progress. */
  get inMessage(): boolean {
    return this.#inMessage;
  }

  /** Bytes held for the message (and compressed frame) in progress. */
  get bufferedBytes(): number {
    return (this.#message?.length ?? 0) + (this.#frame?.length ?? 0);
  }

  /** Buffers held for the message in progress: bounded by its bytes, not by its fragment count. */
  get bufferedParts(): number {
    return (this.#message?.partCount ?? 0) + (this.#frame?.partCount ?? 0);
  }

  /**
   * Starts a data frame.
   * @param opcode - TEXT, BINARY or CONTINUATION (the decoder rejected the rest)
   * @param fin - whether this frame ends the message
   * @param rsv1 - compressed (permessage-deflate) message start
   * @param payloadLength - the frame's payload length
   * @param headerLength - the frame's header length on the wire (counted for continuation frames)
   * @throws ProtocolError 1002 for continuation rules, 1008 over maxFragments or the fragment
   *   overhead budget, 1009 over maxMessageSize
   */
  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number, headerLength = 2): void {
    if (opcode === Opcode.CONTINUATION) {
      // §5.4: fragments are a first frame with opcode, then continuation frames; anything else is invalid.
      if (!this.#inMessage)
        throw protocolViolation('Cannot accept a continuation frame: no message in progress', 'WS_ERR_INVALID_OPCODE');
      // What fragmenting costs is bounded by bytes, not by a frame count: the headers of one
      // message's continuation frames may add up to maxMessageSize (at least 64 KiB), as its
      // payload may. A flood of empty continuation frames thus ends like an oversized message,
      // while a 4 MiB message cut into 64-byte fragments (384 KiB of headers) passes.
      this.#overhead += headerLength;
      if (this.#overhead > this.#limits.maxOverhead) {
        throw new ProtocolError(
          `Cannot accept a message whose continuation frame headers exceed ${this.#limits.maxOverhead} bytes`,
          {
            code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
            closeCode: 1008,
          },
        );
      }
    } else {
      // §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of another message".
      if (this.#inMessage)
        throw protocolViolation('Cannot start a message: the previous one is unfinished', 'WS_ERR_INVALID_OPCODE');
      this.#inMessage = true;
      this.#binary = opcode === Opcode.BINARY;
      this.#compressed = rsv1;
      this.#fragments = 0;
      this.#size = 0;
      this.#overhead = 0;
      this.#validator?.reset();
    }
    if (++this.#fragments > this.#limits.maxFragments) {
      throw new ProtocolError(`Cannot accept more than ${this.#limits.maxFragments} frames in one message`, {
        code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
        closeCode: 1008,
      });
    }
    // Checked before buffering; compressed sizes are bounded by maxFrameSize and inflated bytes below.
    if (!this.#compressed && this.#size + payloadLength > this.#limits.maxMessageSize) throw this.#tooBig();
    this.#fin = fin;
  }

  /**
   * Adds a piece of the current frame's payload.
   * @param piece - unmasked bytes; kept by reference when large, so the caller gives up ownership
   * @param last - whether the piece ends the frame
   * @returns the completed message or compressed frame, else null
   * @throws ProtocolError 1007 on invalid UTF-8 in a text message, as soon as the bad byte arrives
   */
  framePayload(piece: Uint8Array, last: boolean): AssembledEvent | null {
    if (this.#compressed) {
      this.#frame ??= new ByteCollector();
      this.#frame.add(piece);
      return last ? { type: 'inflate', data: this.#frame.take(), fin: this.#fin } : null;
    }
    // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is
    // not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_." Checked
    // per piece so the failure is not delayed until the message ends (Autobahn 6.4).
    if (!this.#binary) {
      // Whole in this piece when it ends the message and no earlier piece held text bytes (else the validator exists).
      if (this.#validator === null && last && this.#fin) {
        if (!wholeIsUtf8(piece, this.#limits.utf8Check)) throw invalidUtf8();
      } else if (!this.#textValidator().feed(piece)) throw invalidUtf8();
    }
    this.#size += piece.length;
    if (!last || !this.#fin) {
      this.#message ??= new ByteCollector();
      this.#message.add(piece);
      return null;
    }
    const message = this.#message;
    let data: Uint8Array;
    if (message === null || message.length === 0) {
      data = piece; // the whole message arrived as one view: no copy
    } else {
      message.add(piece);
      data = message.take();
    }
    return this.#finish(data);
  }

  /**
   * Adds inflated bytes of the current compressed frame.
   * @param chunk - inflated bytes; kept by reference
   * @throws ProtocolError 1009 over maxMessageSize (decompression bomb), 1007 on invalid UTF-8
   */
  inflated(chunk: Uint8Array): void {
    this.#size += chunk.length;
    if (this.#size > this.#limits.maxMessageSize) throw this.#tooBig();
    if (!this.#binary && !this.#textValidator().feed(chunk)) throw invalidUtf8();
    this.#message ??= new ByteCollector();
    this.#message.add(chunk);
  }

  /**
   * Ends the current compressed frame.
   * @returns the message when the frame had FIN, else null
   * @throws ProtocolError 1007 when a text message ends inside a UTF-8 sequence
   */
  inflateEnd(): AssembledEvent | null {
    if (!this.#fin) return null;
    return this.#finish(this.#message === null ? EMPTY : this.#message.take());
  }

  /** Drops the message in progress. */
  reset(): void {
    this.#inMessage = false;
    this.#message?.clear();
    this.#frame?.clear();
    this.#validator?.reset();
  }

  #finish(data: Uint8Array): AssembledEvent {
    // §5.6: "the whole message MUST contain valid UTF-8".
    if (!this.#binary && this.#validator !== null && !this.#validator.complete) throw invalidUtf8();
    this.#inMessage = false;
    return { type: 'message', binary: this.#binary, data };
  }

  #textValidator(): Utf8Validator {
    this.#validator ??= new Utf8Validator(this.#limits.utf8Check);
    return this.#validator;
  }

  #tooBig(): ProtocolError {
    return new ProtocolError(`Cannot accept a message over ${this.#limits.maxMessageSize} bytes`, {
      code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      closeCode: 1009,
    });
  }
}

/** The validator of text messages that arrive whole: used and reset within one call, so one serves every assembler. */
const WHOLE = new Utf8Validator();

/**
 * @param data - a whole text message
 * @param check - the native whole-buffer check, if any
 * @returns whether `data` is complete, valid UTF-8
 */
function wholeIsUtf8(data: Uint8Array, check: ((data: Uint8Array) => boolean) | undefined): boolean {
  if (check?.(data) === true) return true;
  WHOLE.reset();
  return WHOLE.feed(data) && WHOLE.complete;
}

function invalidUtf8(): ProtocolError {
  return new ProtocolError('Cannot accept a text message: invalid UTF-8', {
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: 1007,
  });
}

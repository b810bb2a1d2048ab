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
  /** Most frames per message, empty ones included. */
  readonly maxFragments: number;
  /** Native whole-buffer UTF-8 check handed to the validator (see {@link Utf8Validator}). */
  readonly utf8Check?: (data: Uint8Array) => boolean;
}

// Pieces below this size are copied into a shared block instead of being kept as views, so a
// stream of tiny frames neither pins whole socket chunks nor grows an array entry per byte
// (A6/A7 in SECURITY-CASES: memory stays a small multiple of the message, not of the wire).
const SMALL_PIECE = 4096;
const BLOCK_SIZE = 16384;
const EMPTY = new Uint8Array(0);

/** Collects message bytes; one copy at the end, none for a single large piece. */
class ByteCollector {
  #parts: Uint8Array[] = [];
  #block: Uint8Array | null = null;
  #blockUsed = 0;
  length = 0;

  add(piece: Uint8Array): void {
    const n = piece.length;
    if (n === 0) return;
    this.length += n;
    if (n >= SMALL_PIECE) {
      this.#flushBlock();
      this.#parts.push(piece);
      return;
    }
    if (this.#block === null || this.#block.length - this.#blockUsed < n) {
      this.#flushBlock();
      this.#block = new Uint8Array(BLOCK_SIZE);
    }
    this.#block.set(piece, this.#blockUsed);
    this.#blockUsed += n;
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
      // The rest of the block stays usable only through a new allocation: views must not overlap.
      this.#block = null;
      this.#blockUsed = 0;
    }
  }
}

/**
 * Fragmentation, size limits and text validation. Fed by the connection with data frame headers
 * and payload pieces; returns a `message` event when a message completes, or an `inflate` event
 * when a compressed frame is complete (the engine then calls {@link inflated} and {@link inflateEnd}).
 */
export class MessageAssembler {
  readonly #maxMessageSize: number;
  readonly #maxFragments: number;
  readonly #validator: Utf8Validator;
  readonly #message = new ByteCollector();
  readonly #frame = new ByteCollector();
  #inMessage = false;
  #binary = false;
  #compressed = false;
  #fin = false;
  #fragments = 0;
  #size = 0;

  /** @param options - limits */
  constructor(options: MessageAssemblerOptions) {
    this.#maxMessageSize = options.maxMessageSize;
    this.#maxFragments = options.maxFragments;
    this.#validator = new Utf8Validator(options.utf8Check);
  }

  /** Whether a fragmented message is in progress. */
  get inMessage(): boolean {
    return this.#inMessage;
  }

  /** Bytes held for the message (and compressed frame) in progress. */
  get bufferedBytes(): number {
    return this.#message.length + this.#frame.length;
  }

  /**
   * Starts a data frame.
   * @param opcode - TEXT, BINARY or CONTINUATION (the decoder rejected the rest)
   * @param fin - whether this frame ends the message
   * @param rsv1 - compressed (permessage-deflate) message start
   * @param payloadLength - the frame's payload length
   * @throws ProtocolError 1002 for continuation rules, 1008 over maxFragments, 1009 over maxMessageSize
   */
  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number): void {
    if (opcode === Opcode.CONTINUATION) {
      // §5.4: fragments are a first frame with opcode, then continuation frames; anything else is invalid.
      if (!this.#inMessage) throw protocolViolation('Cannot accept a continuation frame: no message in progress', 'WS_ERR_INVALID_OPCODE');
    } else {
      // §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of another message".
      if (this.#inMessage) throw protocolViolation('Cannot start a message: the previous one is unfinished', 'WS_ERR_INVALID_OPCODE');
      this.#inMessage = true;
      this.#binary = opcode === Opcode.BINARY;
      this.#compressed = rsv1;
      this.#fragments = 0;
      this.#size = 0;
      this.#validator.reset();
    }
    if (++this.#fragments > this.#maxFragments) {
      throw new ProtocolError(`Cannot accept more than ${this.#maxFragments} frames in one message`, {
        code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
        closeCode: 1008,
      });
    }
    // Checked before buffering; compressed sizes are bounded by maxFrameSize and inflated bytes below.
    if (!this.#compressed && this.#size + payloadLength > this.#maxMessageSize) throw this.#tooBig();
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
      this.#frame.add(piece);
      return last ? { type: 'inflate', data: this.#frame.take(), fin: this.#fin } : null;
    }
    // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is
    // not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_." Checked
    // per piece so the failure is not delayed until the message ends (Autobahn 6.4).
    if (!this.#binary && !this.#validator.feed(piece)) throw invalidUtf8();
    this.#size += piece.length;
    if (!last || !this.#fin) {
      this.#message.add(piece);
      return null;
    }
    let data: Uint8Array;
    if (this.#message.length === 0) {
      data = piece; // the whole message arrived as one view: no copy
    } else {
      this.#message.add(piece);
      data = this.#message.take();
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
    if (this.#size > this.#maxMessageSize) throw this.#tooBig();
    if (!this.#binary && !this.#validator.feed(chunk)) throw invalidUtf8();
    this.#message.add(chunk);
  }

  /**
   * Ends the current compressed frame.
   * @returns the message when the frame had FIN, else null
   * @throws ProtocolError 1007 when a text message ends inside a UTF-8 sequence
   */
  inflateEnd(): AssembledEvent | null {
    if (!this.#fin) return null;
    return this.#finish(this.#message.take());
  }

  /** Drops the message in progress. */
  reset(): void {
    this.#inMessage = false;
    this.#message.clear();
    this.#frame.clear();
    this.#validator.reset();
  }

  #finish(data: Uint8Array): AssembledEvent {
    // §5.6: "the whole message MUST contain valid UTF-8".
    if (!this.#binary && !this.#validator.complete) throw invalidUtf8();
    this.#inMessage = false;
    return { type: 'message', binary: this.#binary, data };
  }

  #tooBig(): ProtocolError {
    return new ProtocolError(`Cannot accept a message over ${this.#maxMessageSize} bytes`, {
      code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      closeCode: 1009,
    });
  }
}

function invalidUtf8(): ProtocolError {
  return new ProtocolError('Cannot accept a text message: invalid UTF-8', { code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 });
}

// Sans-I/O protocol core: a byte-step frame decoder over a chunk list (RFC 6455 §5.2). No sockets, no timers.

import { ProtocolError, protocolViolation } from './errors.ts';
import { readLength64 } from './frame-header.ts';
import { mask } from './mask.ts';
import { isControlOpcode, isKnownOpcode } from './opcode.ts';

/**
 * What {@link FrameDecoder.next} produced. A pull interface: the caller loops on `next()` and reads
 * the decoder's fields, so the hot path needs no callbacks, closures or per-frame objects.
 */
export const DecodeResult = {
  /** Input ran short; push more bytes. */
  NEED_MORE: 0,
  /** A data frame header was read: `fin`, `rsv1`, `opcode`, `payloadLength` are set. */
  FRAME_START: 1,
  /** A piece of the current data frame's payload (unmasked) is in `payload`; `last` ends the frame. */
  DATA: 2,
  /** A whole control frame (unmasked payload in `payload`, opcode in `opcode`). */
  CONTROL: 3,
} as const;

/** One of the {@link DecodeResult} values. */
export type DecodeResult = (typeof DecodeResult)[keyof typeof DecodeResult];

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** true in the server role: §5.1 "a client MUST mask all frames that it sends to the server". */
  readonly expectMasked: boolean;
  /** true when an extension that defines RSV1 (permessage-deflate) was negotiated. */
  readonly allowRsv1: boolean;
  /** Largest accepted frame payload in bytes, checked at the header before anything is buffered. */
  readonly maxFrameSize: number;
}

type DecodeStep = 'header' | 'length16' | 'length64' | 'mask' | 'payload';

const EMPTY = new Uint8Array(0);
// Header bytes split across chunks are gathered here and read back within the same next() call,
// so one module-level buffer serves every decoder (a per-decoder one cost an ArrayBuffer and its
// backing store per connection: ~260 B of RSS per idle connection).
const SCRATCH = new Uint8Array(8);
// The masking key in the form mask() takes, filled from a decoder's two key halves right before each unmasking (mask()
// is synchronous, so one buffer serves every decoder; a per-decoder Uint8Array cost ~200 B of heap per connection).
const KEY = new Uint8Array(4);

/**
 * Byte-step frame decoder. Takes ownership of pushed chunks: masked payload bytes are unmasked in
 * place. Data frame payloads are handed out piece by piece as views into the input (never
 * buffered here), so limits and UTF-8 checks apply while a frame streams in; control frames
 * (≤ 125 bytes) are handed out whole. Values are copied only when they span chunks.
 */
export class FrameDecoder {
  /** FIN bit of the current frame. */
  fin = false;
  /** RSV1 bit of the current frame. */
  rsv1 = false;
  /** Opcode of the current frame. */
  opcode = 0;
  /** Payload length of the current frame in bytes. */
  payloadLength = 0;
  /** Header length of the current frame in bytes (2-14: length fields and masking key included). */
  headerLength = 2;
  /** After DATA/CONTROL: the unmasked payload piece. A view into input chunks; the receiver owns it. */
  payload: Uint8Array = EMPTY;
  /** After DATA: whether this piece ends the frame. */
  last = false;

  /** The role's rules and the frame limit: the caller's object, shared by every decoder it makes (one field, not three). */
  readonly #options: FrameDecoderOptions;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  #buffered = 0;
  #step: DecodeStep = 'header';
  #masked = false;
  #control = false;
  #remaining = 0;
  #maskOffset = 0;
  /** Bytes 0-1 and 2-3 of the current frame's masking key, little-endian: two small integers, never boxed. */
  #maskLow = 0;
  #maskHigh = 0;

  /** @param options - role and limits */
  constructor(options: FrameDecoderOptions) {
    this.#options = options;
  }

  /** Bytes received but not yet handed out. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Whether the decoder holds nothing: no input, and the next byte starts a frame. */
  get atFrameBoundary(): boolean {
    return this.#step === 'header' && this.#buffered === 0;
  }

  /**
   * Appends input. The decoder keeps a reference and may unmask it in place.
   * @param chunk - bytes from the transport; empty chunks are ignored
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Drops all buffered input (after the connection closed, §7.1.7). */
  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#buffered = 0;
    this.payload = EMPTY;
  }

  /**
   * Advances the byte-step machine until it produces something or needs more input.
   * @returns a {@link DecodeResult}
   * @throws ProtocolError when the input breaks a framing rule; the decoder is then unusable
   */
  next(): DecodeResult {
    // The previous piece was handled: an idle connection must not keep the last read's buffer alive.
    this.payload = EMPTY;
    for (;;) {
      switch (this.#step) {
        case 'header': {
          if (this.#buffered < 2) return DecodeResult.NEED_MORE;
          let b0: number;
          let b1: number;
          const first = this.#chunks[0]!;
          if (first.length - this.#offset >= 2) {
            b0 = first[this.#offset]!;
            b1 = first[this.#offset + 1]!;
            this.#advance(2);
          } else {
            this.#copyOut(SCRATCH, 2);
            b0 = SCRATCH[0]!;
            b1 = SCRATCH[1]!;
          }
          if (this.#readHeader(b0, b1)) return DecodeResult.FRAME_START;
          break;
        }
        case 'length16': {
          if (this.#buffered < 2) return DecodeResult.NEED_MORE;
          this.#copyOut(SCRATCH, 2);
          this.payloadLength = (SCRATCH[0]! << 8) | SCRATCH[1]!;
          if (this.#haveLength()) return DecodeResult.FRAME_START;
          break;
        }
        case 'length64': {
          if (this.#buffered < 8) return DecodeResult.NEED_MORE;
          this.#copyOut(SCRATCH, 8);
          this.payloadLength = readLength64(SCRATCH, 0);
          if (this.#haveLength()) return DecodeResult.FRAME_START;
          break;
        }
        case 'mask': {
          if (this.#buffered < 4) return DecodeResult.NEED_MORE;
          this.#copyOut(SCRATCH, 4);
          this.#maskLow = SCRATCH[0]! | (SCRATCH[1]! << 8);
          this.#maskHigh = SCRATCH[2]! | (SCRATCH[3]! << 8);
          this.#step = 'payload';
          if (!this.#control) return DecodeResult.FRAME_START;
          break;
        }
        case 'payload': {
          if (this.#control) {
            const n = this.payloadLength;
            if (this.#buffered < n) return DecodeResult.NEED_MORE;
            const payload = n === 0 ? EMPTY : this.#take(n);
            if (this.#masked && n > 0) mask(payload, this.#key(), 0);
            this.payload = payload;
            this.#step = 'header';
            return DecodeResult.CONTROL;
          }
          if (this.#remaining === 0) {
            this.payload = EMPTY;
            this.last = true;
            this.#step = 'header';
            return DecodeResult.DATA;
          }
          if (this.#buffered === 0) return DecodeResult.NEED_MORE;
          const first = this.#chunks[0]!;
          const available = first.length - this.#offset;
          const n = Math.min(available, this.#remaining);
          const piece = first.subarray(this.#offset, this.#offset + n);
          this.#advance(n);
          if (this.#masked) {
            mask(piece, this.#key(), this.#maskOffset);
            this.#maskOffset = (this.#maskOffset + n) & 3;
          }
          this.#remaining -= n;
          this.payload = piece;
          this.last = this.#remaining === 0;
          if (this.last) this.#step = 'header';
          return DecodeResult.DATA;
        }
      }
    }
  }

  /** @returns true when an unmasked data frame's payload comes next */
  #readHeader(b0: number, b1: number): boolean {
    const opcode = b0 & 0x0f;
    // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values".
    if ((b0 & 0x30) !== 0)
      throw protocolViolation('Cannot accept RSV2 or RSV3 without an extension', 'WS_ERR_UNEXPECTED_RSV_2_3');
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
    if (!isKnownOpcode(opcode))
      throw protocolViolation(`Cannot accept reserved opcode "${opcode}"`, 'WS_ERR_INVALID_OPCODE');
    const control = isControlOpcode(opcode);
    const rsv1 = (b0 & 0x40) !== 0;
    // §5.2 as above; RFC 7692 §6.1: RSV1 is set only on the first frame of a data message, never on control frames.
    if (rsv1 && (!this.#options.allowRsv1 || control || opcode === 0)) {
      throw protocolViolation('Cannot accept RSV1 on this frame', 'WS_ERR_UNEXPECTED_RSV_1');
    }
    const fin = (b0 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    if (control) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (!fin) throw protocolViolation('Cannot accept a fragmented control frame', 'WS_ERR_EXPECTED_FIN');
      if (len7 > 125) {
        throw protocolViolation(
          'Cannot accept a control frame payload over 125 bytes',
          'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
        );
      }
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.#options.expectMasked) {
      // §5.1: "The server MUST close the connection upon receiving a frame that is not masked" and
      // "A client MUST close a connection if it detects a masked frame".
      throw this.#options.expectMasked
        ? protocolViolation('Cannot accept an unmasked frame from a client', 'WS_ERR_EXPECTED_MASK')
        : protocolViolation('Cannot accept a masked frame from a server', 'WS_ERR_UNEXPECTED_MASK');
    }
    this.fin = fin;
    this.rsv1 = rsv1;
    this.opcode = opcode;
    this.#masked = masked;
    this.#control = control;
    this.headerLength = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (len7 === 126) {
      this.#step = 'length16';
      return false;
    }
    if (len7 === 127) {
      this.#step = 'length64';
      return false;
    }
    this.payloadLength = len7;
    return this.#haveLength();
  }

  // Non-minimal length encodings (126 for a length < 126, 127 for < 65536) are accepted, as ws and
  // Python websockets do: §5.2's "minimal number of bytes MUST be used" binds the sender, and the
  // value is unambiguous either way.
  /** @returns true when an unmasked data frame's payload comes next */
  #haveLength(): boolean {
    // Limits are checked here, before a single payload byte is buffered (TG, PW).
    if (this.payloadLength > this.#options.maxFrameSize) {
      throw new ProtocolError(
        `Cannot accept a frame of ${this.payloadLength} bytes: the limit is ${this.#options.maxFrameSize}`,
        {
          code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
          closeCode: 1009,
        },
      );
    }
    this.#remaining = this.payloadLength;
    this.#maskOffset = 0;
    this.#step = this.#masked ? 'mask' : 'payload';
    return !this.#masked && !this.#control;
  }

  /** The current frame's masking key, in the shared {@link KEY} (valid until the next call). */
  #key(): Uint8Array {
    const low = this.#maskLow;
    const high = this.#maskHigh;
    KEY[0] = low;
    KEY[1] = low >> 8;
    KEY[2] = high;
    KEY[3] = high >> 8;
    return KEY;
  }

  /** Moves the read position by `n` bytes that lie in the first chunk. */
  #advance(n: number): void {
    this.#buffered -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[0]!.length) {
      this.#offset = 0;
      // A drained list is replaced rather than shifted: the emptied array would keep the room its pushes grew
      // (~110 bytes per idle connection), and a fresh `[]` holds none.
      if (this.#chunks.length === 1) this.#chunks = [];
      else this.#chunks.shift();
    }
  }

  /**
   * Copies `n` (≤ buffered) bytes into `target`, across chunks. A byte loop: for the 2-8 byte
   * length and mask fields it avoids the view object that `set(subarray())` allocates (profiling
   * showed subarray + FastBuffer construction at ~14% of a 32-byte echo).
   */
  #copyOut(target: Uint8Array, n: number): void {
    let at = 0;
    while (at < n) {
      const first = this.#chunks[0]!;
      const offset = this.#offset;
      const take = Math.min(n - at, first.length - offset);
      for (let i = 0; i < take; i++) target[at + i] = first[offset + i]!;
      at += take;
      this.#advance(take);
    }
  }

  /** Takes `n` (≤ buffered) bytes: a view when they lie in one chunk, else a copy. */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
      return view;
    }
    const out = new Uint8Array(n);
    this.#copyOut(out, n);
    return out;
  }
}

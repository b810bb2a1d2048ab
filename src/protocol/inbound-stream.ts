// Sans-I/O protocol core: the receive path. Bytes in, frames decoded and messages assembled in
// order, one result at a time for the connection to act on. No sockets, no timers.

import type { ConnectionOptions } from './connection-types.ts';
import { DecodeResult, FrameDecoder } from './frame-decoder.ts';
import { type AssembledEvent, MessageAssembler } from './message-assembler.ts';

const EMPTY = new Uint8Array(0);

/** What {@link InboundStream.next} produced. */
export const InboundResult = {
  /** All buffered input is decoded (or decoding waits for the inflater). */
  NEED_MORE: 0,
  /** {@link InboundStream.assembled} holds a complete message or a compressed frame. */
  ASSEMBLED: 1,
  /** {@link InboundStream.opcode} and {@link InboundStream.payload} hold a control frame. */
  CONTROL: 2,
} as const;
export type InboundResult = (typeof InboundResult)[keyof typeof InboundResult];

const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`Cannot use ${name} "${value}": expected a non-negative integer`);
  return value;
}

/**
 * The receive path's rules and limits from a connection's options, validated and defaulted.
 * @throws RangeError for a negative or non-integer limit (maxFragments may also be Infinity)
 */
export function inboundOptions(options: ConnectionOptions): InboundStreamOptions {
  const maxMessageSize = positiveInteger('maxMessageSize', options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
  const expectMasked = options.role !== 'client';
  const allowRsv1 = options.rsv1Extension ?? false;
  const maxFrameSize = positiveInteger('maxFrameSize', options.maxFrameSize, maxMessageSize);
  const maxFragments =
    options.maxFragments === Infinity ? Infinity : positiveInteger('maxFragments', options.maxFragments, Infinity);
  const utf8Check = options.utf8Check;
  // Every connection of a server has the same limits: the previous result is shared when it matches, so an idle
  // connection does not hold its own copy (measured: one ~72-byte object per connection, bench/conn-heap.mjs).
  const last = lastOptions;
  if (
    last !== null &&
    last.expectMasked === expectMasked &&
    last.allowRsv1 === allowRsv1 &&
    last.maxFrameSize === maxFrameSize &&
    last.maxMessageSize === maxMessageSize &&
    last.maxFragments === maxFragments &&
    last.utf8Check === utf8Check
  )
    return last;
  lastOptions = Object.freeze({ expectMasked, allowRsv1, maxFrameSize, maxMessageSize, maxFragments, utf8Check });
  return lastOptions;
}

/** The last options {@link inboundOptions} built (frozen: shared by every connection with the same limits). */
let lastOptions: InboundStreamOptions | null = null;

/** Options of {@link InboundStream}. */
export interface InboundStreamOptions {
  readonly expectMasked: boolean;
  readonly allowRsv1: boolean;
  readonly maxFrameSize: number;
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly utf8Check: ((data: Uint8Array) => boolean) | undefined;
}

/**
 * The frame decoder and the message assembler of one connection, driven together. Frames are
 * processed one at a time, in order: whatever precedes a violation is returned before the
 * violation is thrown (a strict peer fails at the bad frame, not at the read that carried it).
 */
export class InboundStream {
  /** After ASSEMBLED: the message or compressed frame (the receiver owns its buffer). */
  assembled: AssembledEvent | null = null;
  /** After CONTROL: the control frame's opcode. */
  opcode = 0;
  /** After CONTROL: the control frame's whole, unmasked payload (at most 125 bytes). */
  payload: Uint8Array = EMPTY;
  /** The options it was made with (a stream is reused only by connections with the same ones). */
  readonly options: InboundStreamOptions;
  readonly #decoder: FrameDecoder;
  readonly #assembler: MessageAssembler;
  #inflating = false;

  /** @param options - role rules and limits */
  constructor(options: InboundStreamOptions) {
    this.options = options;
    const { maxMessageSize, maxFragments, utf8Check } = options;
    this.#assembler =
      utf8Check === undefined
        ? new MessageAssembler({ maxMessageSize, maxFragments })
        : new MessageAssembler({ maxMessageSize, maxFragments, utf8Check });
    // The options are shared by the connections of a server (inboundOptions): the decoder keeps them as they are.
    this.#decoder = new FrameDecoder(options);
  }

  /** Bytes held by the decoder and the assembler, for memory accounting. */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes + this.#assembler.bufferedBytes;
  }

  /**
   * Whether the stream holds no state a later read needs: no input, no frame or message in progress, no inflation. An
   * idle stream may be handed to another connection with the same options ({@link releaseInboundStream}).
   */
  get idle(): boolean {
    return !this.#inflating && this.#decoder.atFrameBoundary && !this.#assembler.inMessage;
  }

  /** True between an `inflate` result and {@link inflateEnd}: input is buffered, not decoded. */
  get isInflating(): boolean {
    return this.#inflating;
  }

  /** Appends input; the stream takes ownership and unmasks payloads in place. */
  push(chunk: Uint8Array): void {
    this.#decoder.push(chunk);
  }

  /**
   * Decodes buffered input up to the next result: a message or compressed frame, a control frame,
   * or the end of the input. Nothing is decoded while a compressed frame awaits inflation (the
   * async deflate boundary, until {@link inflateEnd}).
   * @throws ProtocolError at the first frame that breaks a rule or a limit (earlier results were returned)
   */
  next(): InboundResult {
    // The previous result was handled: an idle connection must not keep its last message alive.
    this.assembled = null;
    this.payload = EMPTY;
    if (this.#inflating) return InboundResult.NEED_MORE;
    const decoder = this.#decoder;
    const assembler = this.#assembler;
    for (;;) {
      switch (decoder.next()) {
        case DecodeResult.NEED_MORE:
          return InboundResult.NEED_MORE;
        case DecodeResult.FRAME_START:
          assembler.frameStart(decoder.opcode, decoder.fin, decoder.rsv1, decoder.payloadLength, decoder.headerLength);
          break;
        case DecodeResult.DATA: {
          const event = assembler.framePayload(decoder.payload, decoder.last);
          if (event !== null) {
            this.assembled = event;
            if (event.type === 'inflate') this.#inflating = true;
            return InboundResult.ASSEMBLED;
          }
          break;
        }
        case DecodeResult.CONTROL:
          this.opcode = decoder.opcode;
          this.payload = decoder.payload;
          return InboundResult.CONTROL;
      }
    }
  }

  /**
   * Hands back inflated bytes of the current compressed frame; size and UTF-8 are checked here.
   * @throws ProtocolError 1009 over maxMessageSize, 1007 on invalid UTF-8
   */
  inflated(chunk: Uint8Array): void {
    this.#assembler.inflated(chunk);
  }

  /**
   * Ends the current compressed frame; decoding may resume.
   * @returns the message the frame completed, or null (not the last frame)
   * @throws ProtocolError 1007 when a text message ends inside a UTF-8 sequence
   */
  inflateEnd(): AssembledEvent | null {
    this.#inflating = false;
    return this.#assembler.inflateEnd();
  }

  /** Drops all input and the message in progress: nothing more is decoded (§7.1.7). */
  clear(): void {
    this.#decoder.clear();
    this.#assembler.reset();
    this.#inflating = false;
  }
}

/**
 * Idle streams waiting for a connection that reads. A connection holds its stream only while a read leaves something in
 * progress (a partial frame, a fragmented message, an inflation): between messages it gives the stream back, so an
 * idle connection holds no decoder, assembler or buffers (~450 bytes of heap, bench/conn-heap.mjs), and a busy server
 * reuses a few streams instead of making one per read.
 */
const POOL: InboundStream[] = [];
/** Most idle streams kept for reuse (beyond it they are left to the garbage collector). */
const POOL_SIZE = 64;

/**
 * An idle stream with `options` from the pool, or a new one.
 * @param options - the connection's (shared) inbound options
 * @returns a stream in its initial state
 */
export function takeInboundStream(options: InboundStreamOptions): InboundStream {
  for (let i = POOL.length - 1; i >= 0; i--) {
    const stream = POOL[i]!;
    if (stream.options !== options) continue;
    POOL[i] = POOL[POOL.length - 1]!;
    POOL.pop();
    return stream;
  }
  return new InboundStream(options);
}

/**
 * Gives an idle stream back for reuse; the caller must not use it afterwards.
 * @param stream - a stream whose {@link InboundStream.idle} is true
 */
export function releaseInboundStream(stream: InboundStream): void {
  if (POOL.length < POOL_SIZE) POOL.push(stream);
}

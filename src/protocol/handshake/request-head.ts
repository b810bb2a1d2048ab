// Sans-I/O handshake: reading an HTTP/1.1 request head (RFC 9112 §2-§5) from bytes, incrementally, in one pass. No sockets, no timers.
import type { HandshakeErrorCode } from './codes.ts';
import { isTokenChar } from './header-tokens.ts';
import { PICKED_HEADER_NAMES, RequestHead } from './request-head-view.ts';

/** Limits on a request head; both are checked while the bytes arrive, before anything is built. */
export interface RequestHeadLimits {
  /**
   * Largest head (request line, header lines and the blank line) in bytes; beyond it the answer is 431.
   * @default 16384, Node's `maxHeaderSize`, which the `http` path of the engine states explicitly
   */
  readonly maxHeadBytes?: number;
  /**
   * Most header lines; beyond it the answer is 431.
   * @default 200: ten times what a browser sends on an upgrade; the byte limit is the real bound
   */
  readonly maxHeaders?: number;
}

/** Default {@link RequestHeadLimits}. */
export const REQUEST_HEAD_LIMITS = { maxHeadBytes: 16 * 1024, maxHeaders: 200 } as const;

/** Why a request head was refused: the HTTP status to answer with and a stable code (docs/errors.md). */
export interface RequestHeadRefusal {
  readonly kind: 'refused';
  /** 400 (malformed) or 431 (too large). */
  readonly status: number;
  readonly code: HandshakeErrorCode;
  /** What was wrong, without any peer byte in it. */
  readonly reason: string;
}

/** A complete request head and the bytes that followed it in the same reads. */
export interface RequestHeadDone {
  readonly kind: 'head';
  readonly head: RequestHead;
  /** Bytes after the blank line (frames pipelined with an upgrade, or the next request); a view, possibly empty. */
  readonly rest: Uint8Array;
}

/** What {@link RequestHeadParser.push} returns once it knows: a head, or a refusal. */
export type RequestHeadResult = RequestHeadDone | RequestHeadRefusal;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Parser states. */
const State = {
  /** Before the request line: empty lines (CRLF) are skipped (RFC 9112 §2.2). */
  START: 0,
  START_LF: 1,
  METHOD: 2,
  TARGET_START: 3,
  TARGET: 4,
  VERSION: 5,
  REQUEST_LINE_LF: 6,
  LINE_START: 7,
  NAME: 8,
  VALUE_OWS: 9,
  VALUE: 10,
  VALUE_LF: 11,
  END_LF: 12,
} as const;

/** "HTTP/" then DIGIT "." DIGIT (RFC 9112 §2.3); the digits are checked apart. */
const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f];

/** Picked names by length, as [index, lower-case char codes]. */
const PICK_BY_LENGTH = new Map<number, Array<[number, Uint8Array]>>();
PICKED_HEADER_NAMES.forEach((name, index) => {
  const list = PICK_BY_LENGTH.get(name.length) ?? [];
  list.push([index, Uint8Array.from(name, (ch) => ch.charCodeAt(0))]);
  PICK_BY_LENGTH.set(name.length, list);
});

function refused(status: number, code: HandshakeErrorCode, reason: string): RequestHeadRefusal {
  return { kind: 'refused', status, code, reason };
}

const TOO_LARGE = (reason: string): RequestHeadRefusal =>
  refused(431, 'WS_ERR_REQUEST_HEAD_TOO_LARGE', `Cannot read the request: ${reason}`);
const MALFORMED = (reason: string): RequestHeadRefusal =>
  refused(400, 'WS_ERR_INVALID_REQUEST', `Cannot read the request: ${reason}`);

/** A field-value byte (RFC 9110 §5.5): VCHAR or obs-text; SP and HTAB are handled apart. */
function isFieldByte(c: number): boolean {
  return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0))
    throw new RangeError(`Cannot use ${name} "${String(value)}": expected a non-negative number`);
  return value;
}

/**
 * Reads one HTTP/1.1 request head from bytes that may arrive in any split (a byte at a time
 * included), looking at each byte once. Strict, because a head this server reads differently
 * from a proxy in front of it is a smuggling vector (RFC 9112 §11.2):
 *
 * - lines end in CRLF only: a bare LF or a bare CR is refused (RFC 9112 §2.2 lets a recipient
 *   accept a bare LF; every WebSocket client and browser sends CRLF, and accepting both is how
 *   front ends and back ends come to disagree about where a header ends);
 * - empty lines before the request line are skipped (RFC 9112 §2.2 "SHOULD ignore at least one");
 * - the method is a token, the target one run of visible ASCII (origin-form, absolute-form,
 *   authority-form and asterisk-form all pass here; the caller routes them), the version
 *   `HTTP/1.x` (any other major version is refused);
 * - obsolete line folding is refused (RFC 9112 §5.2: "a server that receives an obs-fold in a
 *   request message ... MUST either reject the message by sending a 400"), and so is whitespace
 *   between a field name and its colon (§5.1: "MUST reject ... with a response status code of 400");
 * - field names are tokens; field values hold no control character but HTAB (NUL, CR and LF
 *   included: RFC 9110 §5.5 "MUST either reject the message or replace each of those characters
 *   with SP"), surrounding whitespace is not part of the value.
 *
 * Limits: {@link RequestHeadLimits}; past either, 431 (RFC 6585 §5). Once `push` returned a result,
 * the parser is spent.
 *
 * @example
 * ```ts
 * const parser = new RequestHeadParser();
 * socket.on('data', (chunk) => {
 *   const result = parser.push(chunk);
 *   if (result === null) return; // need more bytes
 *   if (result.kind === 'refused') answer(result.status);
 *   else route(result.head, result.rest);
 * });
 * ```
 */
export class RequestHeadParser {
  readonly #maxHeadBytes: number;
  readonly #maxHeaders: number;
  /** Bytes of an incomplete head kept across reads (null while the head is read from one chunk). */
  #buffer: Uint8Array | null = null;
  #length = 0;
  #state: number = State.START;
  /** Where the request line starts (after skipped empty lines). */
  #lineStart = 0;
  #methodEnd = 0;
  #targetStart = 0;
  #targetEnd = 0;
  #versionIndex = 0;
  #minor = 0;
  #headerCount = 0;
  #nameStart = 0;
  /** Index in PICKED_HEADER_NAMES of the header being read, or -1. */
  #picking = -1;
  #valueStart = 0;
  #valueEnd = 0;
  /** Picked values as offsets into the head: [index, start, end] triples, in order. */
  #picked: number[] = [];
  #spent = false;

  /** @param limits - head size and header count ({@link REQUEST_HEAD_LIMITS} by default) */
  constructor(limits: RequestHeadLimits = {}) {
    this.#maxHeadBytes = limit(limits.maxHeadBytes, REQUEST_HEAD_LIMITS.maxHeadBytes, 'maxHeadBytes');
    this.#maxHeaders = limit(limits.maxHeaders, REQUEST_HEAD_LIMITS.maxHeaders, 'maxHeaders');
  }

  /** Bytes of an incomplete head held so far. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /**
   * Adds received bytes.
   * @param chunk - the next bytes from the peer; not kept unless the head is incomplete (then copied)
   * @returns null while the head is incomplete and within the limits; else the head or a refusal
   * @throws {Error} when called again after a result (caller misuse)
   */
  push(chunk: Uint8Array): RequestHeadResult | null {
    if (this.#spent) throw new Error('Cannot push to a RequestHeadParser that already returned a result');
    let bytes: Uint8Array;
    const from = this.#length;
    if (this.#buffer === null && from === 0) {
      bytes = chunk;
    } else {
      bytes = this.#append(chunk);
    }
    const result = this.#scan(bytes, from);
    if (result !== null) {
      this.#spent = true;
      this.#buffer = null;
      this.#length = 0;
      return result;
    }
    if (bytes === chunk) bytes = this.#append(chunk);
    return null;
  }

  /** Appends `chunk` to the kept bytes (at most maxHeadBytes + one chunk are ever held) and returns them. */
  #append(chunk: Uint8Array): Uint8Array {
    const needed = this.#length + chunk.length;
    let buffer = this.#buffer;
    if (buffer === null || needed > buffer.length) {
      // Doubling: a head trickled a byte at a time is copied O(n) times in total, not O(n²).
      const grown = new Uint8Array(Math.max(256, needed, (buffer?.length ?? 0) * 2));
      if (buffer !== null) grown.set(buffer.subarray(0, this.#length), 0);
      buffer = grown;
      this.#buffer = buffer;
    }
    buffer.set(chunk, this.#length);
    this.#length = needed;
    return buffer.subarray(0, needed);
  }

  /** Runs the state machine over bytes[from..]; returns a result once the head ends or fails. */
  #scan(bytes: Uint8Array, from: number): RequestHeadResult | null {
    const end = Math.min(bytes.length, this.#maxHeadBytes);
    let state = this.#state;
    for (let i = from; i < end; i++) {
      const c = bytes[i]!;
      switch (state) {
        case State.START:
          if (c === CR) state = State.START_LF;
          else if (isTokenChar(c)) {
            this.#lineStart = i;
            state = State.METHOD;
          } else return MALFORMED(c === LF ? 'a line ends in a bare LF' : 'the method is not a token');
          break;
        case State.START_LF:
          if (c !== LF) return MALFORMED('a bare CR before the request line');
          state = State.START;
          break;
        case State.METHOD:
          if (c === SP) {
            if (i === this.#lineStart) return MALFORMED('the method is empty');
            this.#methodEnd = i;
            state = State.TARGET_START;
          } else if (!isTokenChar(c)) return MALFORMED('the method is not a token');
          break;
        case State.TARGET_START:
          if (c <= SP || c >= 0x7f) return MALFORMED('the request target is empty or not visible ASCII');
          this.#targetStart = i;
          state = State.TARGET;
          break;
        case State.TARGET:
          if (c === SP) {
            this.#targetEnd = i;
            this.#versionIndex = 0;
            state = State.VERSION;
          } else if (c < SP || c >= 0x7f) return MALFORMED('the request target holds a byte that is not visible ASCII');
          break;
        case State.VERSION: {
          const k = this.#versionIndex++;
          if (k < 5) {
            if (c !== VERSION_PREFIX[k]) return MALFORMED('the request line does not end in an HTTP version');
          } else if (k === 5) {
            // RFC 9112 §2.3: only HTTP/1.x is spoken on this grammar; an upgrade to HTTP/2 uses h2c, not a version here.
            if (c !== 0x31)
              return refused(400, 'WS_ERR_UNSUPPORTED_HTTP_VERSION', 'Cannot read the request: not HTTP/1.x');
          } else if (k === 6) {
            if (c !== 0x2e) return MALFORMED('the request line does not end in an HTTP version');
          } else if (k === 7) {
            if (c < 0x30 || c > 0x39) return MALFORMED('the request line does not end in an HTTP version');
            this.#minor = c - 0x30;
          } else if (c === CR) state = State.REQUEST_LINE_LF;
          else return MALFORMED('the request line does not end in CRLF after the version');
          break;
        }
        case State.REQUEST_LINE_LF:
          if (c !== LF) return MALFORMED('a bare CR in the request line');
          state = State.LINE_START;
          break;
        case State.LINE_START:
          if (c === CR) state = State.END_LF;
          else if (isTokenChar(c)) {
            if (++this.#headerCount > this.#maxHeaders) return TOO_LARGE('too many header lines');
            this.#nameStart = i;
            state = State.NAME;
          } else if (c === SP || c === HTAB) return MALFORMED('a header line is folded (obsolete line folding)');
          else return MALFORMED(c === LF ? 'a line ends in a bare LF' : 'a header name is not a token');
          break;
        case State.NAME:
          if (c === COLON) {
            this.#picking = pickIndex(bytes, this.#nameStart, i);
            state = State.VALUE_OWS;
          } else if (c === SP || c === HTAB) return MALFORMED('whitespace between a header name and its colon');
          else if (!isTokenChar(c)) return MALFORMED('a header name is not a token');
          break;
        case State.VALUE_OWS:
          if (c === SP || c === HTAB) break;
          if (c === CR) {
            this.#valueStart = i;
            this.#valueEnd = i;
            state = State.VALUE_LF;
          } else if (isFieldByte(c)) {
            this.#valueStart = i;
            this.#valueEnd = i + 1;
            state = State.VALUE;
          } else return MALFORMED('a header value holds a control character');
          break;
        case State.VALUE:
          if (isFieldByte(c)) this.#valueEnd = i + 1;
          else if (c === CR) state = State.VALUE_LF;
          else if (c !== SP && c !== HTAB) return MALFORMED('a header value holds a control character');
          break;
        case State.VALUE_LF:
          if (c !== LF) return MALFORMED('a bare CR in a header value');
          if (this.#picking >= 0) this.#picked.push(this.#picking, this.#valueStart, this.#valueEnd);
          state = State.LINE_START;
          break;
        case State.END_LF:
          if (c !== LF) return MALFORMED('a bare CR at the end of the head');
          return this.#done(bytes, i + 1);
        default:
          return MALFORMED('unknown parser state');
      }
    }
    this.#state = state;
    if (bytes.length >= this.#maxHeadBytes) return TOO_LARGE('the head is larger than allowed');
    return null;
  }

  #done(bytes: Uint8Array, end: number): RequestHeadDone {
    const start = this.#lineStart;
    const text = latin1(bytes, start, end);
    const picked = this.#picked;
    for (let k = 1; k < picked.length; k += 3) {
      picked[k] = picked[k]! - start;
      picked[k + 1] = picked[k + 1]! - start;
    }
    const head = new RequestHead({
      text,
      methodEnd: this.#methodEnd - start,
      targetStart: this.#targetStart - start,
      targetEnd: this.#targetEnd - start,
      minor: this.#minor,
      headerCount: this.#headerCount,
      picked,
    });
    return { kind: 'head', head, rest: bytes.subarray(end) };
  }
}

/** The index in PICKED_HEADER_NAMES of the name in bytes[start..end), ASCII case-insensitively, or -1. */
function pickIndex(bytes: Uint8Array, start: number, end: number): number {
  const candidates = PICK_BY_LENGTH.get(end - start);
  if (candidates === undefined) return -1;
  outer: for (const [index, name] of candidates) {
    for (let k = 0; k < name.length; k++) {
      let c = bytes[start + k]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== name[k]) continue outer;
    }
    return index;
  }
  return -1;
}

/** Decodes bytes as ISO-8859-1 (every byte one code unit), which is how HTTP heads are read. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return out;
}

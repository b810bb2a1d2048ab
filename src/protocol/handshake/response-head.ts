// Sans-I/O handshake: reading the server's HTTP/1.1 response head (RFC 7230 §3) from bytes. No sockets, no timers.
import type { HandshakeError } from '../errors.ts';
import { handshakeError } from './codes.ts';
import { isToken } from './header-tokens.ts';
import { trimOws } from './headers.ts';
import type { UpgradeResponse } from './response.ts';

/** Limits on the response head a client accepts; both are checked before any header is parsed. */
export interface ResponseHeadLimits {
  /**
   * Largest head (status line, header lines and the blank line) in bytes.
   * @default 16384, as Node's maxHeaderSize
   */
  readonly maxHeadBytes?: number;
  /**
   * Most header lines.
   * @default 100: a 101 carries a handful (Node's own client allows 2000)
   */
  readonly maxHeaders?: number;
}

/** Default {@link ResponseHeadLimits}. */
export const RESPONSE_HEAD_LIMITS = { maxHeadBytes: 16 * 1024, maxHeaders: 100 } as const;

/** A parsed response head: what {@link validateUpgradeResponse} reads, plus the reason phrase. */
export interface ResponseHead extends UpgradeResponse {
  /** `1.0` or `1.1`. */
  readonly httpVersion: string;
  /** Reason phrase ('' when absent). */
  readonly statusMessage: string;
  /** Lower-case names; a header given once is a string, a repeated one an array of its lines. */
  readonly headers: Record<string, string | string[]>;
}

const CR = 0x0d;
const LF = 0x0a;
const HTAB = 0x09;
const DEL = 0x7f;

function invalid(detail: string): HandshakeError {
  return handshakeError(`Cannot open the WebSocket: ${detail}`, { code: 'WS_ERR_INVALID_RESPONSE', status: 0 });
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0))
    throw new RangeError(`Cannot use ${name} "${String(value)}": expected a non-negative number`);
  return value;
}

/**
 * Index of the CRLFCRLF that ends the head, or -1.
 * @param bytes - the bytes received so far
 * @param from - where to start looking (bytes before it were already searched)
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
    if (bytes[i + 3] !== LF) continue;
    if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR) return i;
  }
  return -1;
}

/** Decodes bytes as ISO-8859-1 (every byte one code unit), which is how HTTP heads are read. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}

/** Whether a field value or reason phrase holds only HTAB, SP, VCHAR and obs-text (no CTL, so no bare CR or LF). */
function isFieldText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== HTAB) || c === DEL) return false;
  }
  return true;
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5][0-9]{2})(?: (.*))?$/s;

/**
 * Parses the HTTP/1.1 response head at the start of `bytes` (RFC 7230 §3: status line, header
 * fields, empty line). Strict, as a client must be with a head it is about to trust: a status line
 * other than `HTTP/1.0` or `HTTP/1.1`, a 3-digit status from 100 to 599 and an optional reason; no
 * obsolete line folding; names are tokens followed directly by `:` (RFC 7230 §3.2.4 forbids
 * whitespace before the colon); values without control characters. Bytes after the head (a body,
 * or the first WebSocket frames after a 101) are not read: `headLength` says where they start.
 *
 * @param bytes - the bytes received so far
 * @param limits - head size and header count limits
 * @returns null while the head is incomplete and within `maxHeadBytes`; else the head and its length
 * @throws {HandshakeError} code `WS_ERR_INVALID_RESPONSE`, status 0: the head is too large (no
 *   CRLFCRLF within `maxHeadBytes`), has too many headers, or is malformed. Messages never quote
 *   the peer's bytes
 * @example
 * ```ts
 * const parsed = parseResponseHead(received);
 * if (parsed !== null) validateUpgradeResponse(parsed.head, offer);
 * ```
 */
export function parseResponseHead(
  bytes: Uint8Array,
  limits: ResponseHeadLimits = {},
): { head: ResponseHead; headLength: number } | null {
  const maxHeadBytes = limit(limits.maxHeadBytes, RESPONSE_HEAD_LIMITS.maxHeadBytes, 'maxHeadBytes');
  const end = findHeadEnd(bytes.subarray(0, maxHeadBytes));
  if (end < 0) {
    if (bytes.length >= maxHeadBytes) throw invalid('the response head is too large');
    return null;
  }
  return { head: parseHeadText(latin1(bytes, 0, end), limits), headLength: end + 4 };
}

function parseHeadText(text: string, limits: ResponseHeadLimits): ResponseHead {
  const maxHeaders = limit(limits.maxHeaders, RESPONSE_HEAD_LIMITS.maxHeaders, 'maxHeaders');
  const lines = text.split('\r\n');
  if (lines.length - 1 > maxHeaders) throw invalid('the response has too many headers');
  const status = STATUS_LINE.exec(lines[0]!);
  if (status === null) throw invalid('the server did not answer with an HTTP/1.1 status line');
  const statusMessage = status[3] ?? '';
  if (!isFieldText(statusMessage)) throw invalid('the status line holds a control character');
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const first = line.charCodeAt(0);
    // RFC 7230 §3.2.4: obs-fold is deprecated; a client may reject it, and a strict one does.
    if (first === 0x20 || first === HTAB) throw invalid(`header line ${i} is folded (obsolete line folding)`);
    const colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.slice(0, colon))) throw invalid(`header line ${i} has no valid name`);
    const value = line.slice(colon + 1);
    if (!isFieldText(value)) throw invalid(`header line ${i} holds a control character`);
    const name = line.slice(0, colon).toLowerCase();
    const trimmed = trimOws(value);
    const prev = headers[name];
    if (prev === undefined) headers[name] = trimmed;
    else if (typeof prev === 'string') headers[name] = [prev, trimmed];
    else prev.push(trimmed);
  }
  return { httpVersion: `1.${status[1]!}`, statusCode: Number(status[2]), statusMessage, headers };
}

/**
 * Collects the bytes of a response head as they arrive and parses it once complete, searching
 * each byte for the CRLFCRLF once (no quadratic rescans of a head trickled a byte at a time).
 * @example
 * ```ts
 * const reader = new ResponseHeadReader({ maxHeadBytes: 16384 });
 * socket.on('data', (chunk) => {
 *   const done = reader.push(chunk);
 *   if (done !== null) start(done.head, done.rest);
 * });
 * ```
 */
export class ResponseHeadReader {
  readonly #limits: ResponseHeadLimits;
  readonly #maxHeadBytes: number;
  #buffer: Uint8Array = new Uint8Array(256);
  #length = 0;
  #searched = 0;

  /** @param limits - head size and header count limits ({@link RESPONSE_HEAD_LIMITS} by default) */
  constructor(limits: ResponseHeadLimits = {}) {
    this.#limits = limits;
    this.#maxHeadBytes = limit(limits.maxHeadBytes, RESPONSE_HEAD_LIMITS.maxHeadBytes, 'maxHeadBytes');
    limit(limits.maxHeaders, RESPONSE_HEAD_LIMITS.maxHeaders, 'maxHeaders');
  }

  /**
   * Adds received bytes.
   * @param chunk - the next bytes from the server
   * @returns null while the head is incomplete; else the head and the bytes after it
   * @throws {HandshakeError} as {@link parseResponseHead}
   */
  push(chunk: Uint8Array): { head: ResponseHead; rest: Uint8Array } | null {
    if (this.#length + chunk.length > this.#buffer.length) {
      // Doubling: a head trickled a byte at a time is copied O(n) times in total, not O(n²).
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + chunk.length));
      grown.set(this.#buffer.subarray(0, this.#length), 0);
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length += chunk.length;
    const joined = this.#buffer.subarray(0, this.#length);
    const end = findHeadEnd(joined.subarray(0, this.#maxHeadBytes), this.#searched);
    if (end < 0) {
      if (joined.length >= this.#maxHeadBytes) throw invalid('the response head is too large');
      this.#searched = Math.max(0, joined.length - 3);
      return null;
    }
    return { head: parseHeadText(latin1(joined, 0, end), this.#limits), rest: joined.slice(end + 4) };
  }
}

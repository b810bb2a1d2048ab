// Sans-I/O handshake: a parsed request head, keeping its text and building header maps only when asked. No sockets, no timers.
import type { HandshakeErrorCode } from './codes.ts';
import { trimOws } from './headers.ts';

/** Header map with lower-case names, in the shape of Node's `IncomingMessage.headers`. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** @internal What the parser hands to {@link RequestHead}. */
export interface RequestHeadInit {
  /** The head from the request line to the blank line included, as latin1. */
  readonly text: string;
  readonly methodEnd: number;
  readonly targetStart: number;
  readonly targetEnd: number;
  /** Minor HTTP version (major is always 1). */
  readonly minor: number;
  readonly headerCount: number;
  /** [index in PICKED_HEADER_NAMES, value start, value end] triples, offsets into `text`. */
  readonly picked: readonly number[];
}

/**
 * The headers picked while parsing, by index: the ones the WebSocket handshake reads
 * (`validateUpgradeRequest`), plus the two that frame a body. Every other header stays in the
 * head's text, read only when asked ({@link RequestHead.headers}).
 */
export const PICKED_HEADER_NAMES = [
  'host',
  'origin',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-key1',
  'sec-websocket-key2',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
] as const;
const CONTENT_LENGTH = 10;
const TRANSFER_ENCODING = 11;
/** The picked headers `validateUpgradeRequest` reads (all but the two framing ones). */
const HANDSHAKE_PICKED = 10;

/**
 * Headers of which Node keeps only the first line in `IncomingMessage.headers` (its
 * `matchKnownFields`); {@link RequestHead.headers} does the same so both paths show one map.
 */
const FIRST_ONLY: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * A request head read by {@link RequestHeadParser}: the request line as fields, the headers the
 * WebSocket handshake needs picked during the parse, and every other header left in the head's
 * text until something asks for `headers`, `headersDistinct` or `rawHeaders` (each built once, in
 * the shape Node gives them). An upgrade that no hook reads the headers of never builds a map.
 */
export class RequestHead {
  /** Request method, case-sensitive (`GET`). */
  readonly method: string;
  /** Request target as sent (origin-form `/ws?x=1`, or absolute-form `http://host/ws`). */
  readonly url: string;
  /** `1.0`, `1.1`, ... */
  readonly httpVersion: string;
  /** Header lines in the head. */
  readonly headerCount: number;
  readonly #text: string;
  readonly #picked: readonly number[];
  #headers: RequestHeaders | null = null;
  #distinct: Record<string, string[]> | null = null;
  #raw: string[] | null = null;

  /** @internal Built by the parser. */
  constructor(init: RequestHeadInit) {
    const text = init.text;
    this.#text = text;
    this.method = text.slice(0, init.methodEnd);
    this.url = text.slice(init.targetStart, init.targetEnd);
    this.httpVersion = init.minor === 1 ? '1.1' : `1.${init.minor}`;
    this.headerCount = init.headerCount;
    this.#picked = init.picked;
  }

  /** The head's size in bytes (request line to blank line). */
  get byteLength(): number {
    return this.#text.length;
  }

  /**
   * The head's bytes again (request line to blank line), for a server that hands the request to
   * another HTTP parser (plain HTTP on a port the WebSocket server reads first).
   */
  toBytes(): Uint8Array {
    const text = this.#text;
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  /**
   * The headers the WebSocket handshake is validated on, as `pickUpgradeHeaders` gives them: a
   * header sent once is a string, a repeated one an array of its lines (two `Host` lines stay visible).
   */
  upgradeHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const picked = this.#picked;
    for (let k = 0; k < picked.length; k += 3) {
      const index = picked[k]!;
      if (index >= HANDSHAKE_PICKED) continue;
      const name = PICKED_HEADER_NAMES[index]!;
      const value = this.#text.slice(picked[k + 1], picked[k + 2]);
      const seen = out[name];
      if (seen === undefined) out[name] = value;
      else if (typeof seen === 'string') out[name] = [seen, value];
      else seen.push(value);
    }
    return out;
  }

  /**
   * Whether the request asks to switch protocols, by the rule Node's parser routes on: an
   * `Upgrade` header and a `Connection` header that lists the `upgrade` token (RFC 9110 §7.8).
   * Such a request is the WebSocket server's to answer; any other is plain HTTP.
   */
  get wantsUpgrade(): boolean {
    let upgrade = false;
    let connection = false;
    const picked = this.#picked;
    for (let k = 0; k < picked.length; k += 3) {
      const index = picked[k]!;
      if (index === 2) upgrade = true;
      else if (index === 3 && !connection) connection = listsUpgrade(this.#text, picked[k + 1]!, picked[k + 2]!);
    }
    return upgrade && connection;
  }

  /**
   * The refusal for a request whose body framing is ambiguous or, on an upgrade, present at all
   * (request smuggling shapes, RFC 9112 §6.1 and §6.3), or null when its framing is clean:
   * - `Transfer-Encoding` together with `Content-Length` (§6.1: "ought to be handled as an error");
   * - two `Content-Length` lines, or one that is not digits (§6.3 item 5: "unrecoverable error");
   * - on an upgrade (`upgrade` true): any `Transfer-Encoding`, or a `Content-Length` other than 0:
   *   an upgrade GET has no body, so the bytes after its head are frames, never a body to skip.
   * @param upgrade - whether the request is going to be read as a WebSocket upgrade
   */
  framingRefusal(upgrade: boolean): { status: number; code: HandshakeErrorCode; reason: string } | null {
    let lengths = 0;
    let lengthValue = '';
    let chunked = false;
    const picked = this.#picked;
    for (let k = 0; k < picked.length; k += 3) {
      const index = picked[k]!;
      if (index === CONTENT_LENGTH) {
        lengths++;
        lengthValue = this.#text.slice(picked[k + 1], picked[k + 2]);
      } else if (index === TRANSFER_ENCODING) chunked = true;
    }
    const bad = (reason: string) => ({ status: 400, code: 'WS_ERR_INVALID_REQUEST' as const, reason });
    if (chunked && lengths > 0) return bad('Cannot read the request: both Transfer-Encoding and Content-Length');
    if (lengths > 1) return bad('Cannot read the request: Content-Length appears more than once');
    if (lengths === 1 && !/^[0-9]{1,15}$/.test(lengthValue))
      return bad('Cannot read the request: Content-Length is not a number');
    if (upgrade && (chunked || (lengths === 1 && Number(lengthValue) !== 0)))
      return bad('Cannot upgrade: the request has a body');
    return null;
  }

  /** The head as received (request line to blank line), latin1: what a connection keeps to answer `headers` later. */
  get text(): string {
    return this.#text;
  }

  /** Every header line as [name, value, name, value, ...], names as sent (Node's `rawHeaders`). Built once. */
  get rawHeaders(): string[] {
    this.#raw ??= rawHeadersOf(this.#text);
    return this.#raw;
  }

  /**
   * Headers with lower-case names, combined as Node's `IncomingMessage.headers` combines them:
   * `set-cookie` an array, `cookie` joined with `; `, single-valued ones (`host`, `authorization`,
   * ...) the first line only, others joined with `, `. Built once, on first access; a null-prototype object.
   */
  get headers(): RequestHeaders {
    this.#headers ??= headersOf(this.rawHeaders);
    return this.#headers;
  }

  /** Every header as an array of its lines, lower-case names (Node's `headersDistinct`). Built once. */
  get headersDistinct(): Record<string, string[]> {
    if (this.#distinct !== null) return this.#distinct;
    const out = Object.create(null) as Record<string, string[]>;
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const seen = out[name];
      if (seen === undefined) out[name] = [raw[i + 1]!];
      else seen.push(raw[i + 1]!);
    }
    this.#distinct = out;
    return out;
  }
}

/**
 * The header lines of a head's text ({@link RequestHead.text}) as [name, value, ...], names as sent.
 * @param text - a head the parser accepted (so every line is `name:value` ending in CRLF)
 * @returns alternating names and values (surrounding whitespace trimmed), Node's `rawHeaders`
 */
export function rawHeadersOf(text: string): string[] {
  const raw: string[] = [];
  let line = text.indexOf('\r\n') + 2;
  // The head ends with the blank line: stop at it.
  while (line < text.length - 2) {
    const eol = text.indexOf('\r\n', line);
    const colon = text.indexOf(':', line);
    raw.push(text.slice(line, colon), trimOws(text.slice(colon + 1, eol)));
    line = eol + 2;
  }
  return raw;
}

/**
 * Combines raw header lines as Node's `IncomingMessage.headers` does: lower-case names,
 * `set-cookie` an array, `cookie` joined with `; `, single-valued ones the first line only, others
 * joined with `, `. A null-prototype object.
 * @param raw - alternating names and values ({@link rawHeadersOf})
 * @returns the header map
 */
export function headersOf(raw: readonly string[]): RequestHeaders {
  const out = Object.create(null) as RequestHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = out[name];
    if (seen === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (seen as string[]).push(value);
    else if (FIRST_ONLY.has(name)) continue;
    else out[name] = `${seen as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** Whether the Connection value text[start..end) lists the token `upgrade` (case-insensitive, OWS around commas). */
function listsUpgrade(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    let comma = text.indexOf(',', i);
    if (comma < 0 || comma > end) comma = end;
    if (trimOws(text.slice(i, comma)).toLowerCase() === 'upgrade') return true;
    i = comma + 1;
  }
  return false;
}

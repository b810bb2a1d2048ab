// Sans-I/O handshake: linear, hand-written HTTP header tokenizers (no regex, no sockets, no timers).
//
// Every parser here walks its input once, left to right, and never goes back: CPU is linear in the
// header size whatever the input (RFC 6455 §9.1 grammar; the ReDoS class of ws CVE-2021-32640 and
// websocket-extensions CVE-2020-7662 cannot happen). `tokenizerSteps()` counts the characters
// examined so a test can prove it without timing anything.
import type { HandshakeErrorCode } from './codes.ts';
import { handshakeError } from './codes.ts';

/**
 * One element of a `Sec-WebSocket-Extensions` header: an extension name and its parameters
 * (RFC 6455 §9.1). Parameters live in a `Map`, never in a plain object, so names such as
 * `__proto__` or `constructor` are ordinary keys (GHSA-5v72-xg48-5rpm).
 */
export interface ExtensionOffer {
  /** The extension token, case preserved (e.g. `permessage-deflate`). */
  readonly name: string;
  /** Parameters in header order; `true` for a parameter without a value, else the unescaped value. */
  readonly params: Map<string, string | true>;
  /**
   * Names of parameters that appeared more than once (the `Map` keeps the first value). Set by
   * {@link parseExtensionHeader} only when there are some: RFC 7692 §7 makes a repeated parameter
   * a reason to decline an offer (server) or fail the connection (client), so the information must
   * survive parsing.
   */
  readonly duplicateParams?: readonly string[];
}

/** Options of the list parsers. */
export interface ParseListOptions {
  /**
   * Header name used in error messages.
   * @default 'header' (the parsers are generic; callers name the header for better errors)
   */
  readonly header?: string;
  /**
   * Code of the {@link HandshakeError} thrown on bad grammar.
   * @default 'WS_ERR_INVALID_HEADER'
   */
  readonly code?: HandshakeErrorCode;
}

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;

/** RFC 7230 §3.2.6 tchar, as a 128-entry lookup table. */
const TCHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

let steps = 0;

/**
 * @internal Number of characters the tokenizers have examined since the process started. Tests
 * compare it across input sizes to prove linear work (docs/security-cases.md RX-12) without timing.
 */
export function tokenizerSteps(): number {
  return steps;
}

/**
 * Whether `code` is an RFC 7230 §3.2.6 `tchar`.
 * @param code - a UTF-16 code unit
 * @returns true for `!#$%&'*+-.^_`|~`, digits and ASCII letters
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/**
 * Whether `value` is a non-empty RFC 7230 `token` (`1*tchar`).
 * @param value - the string to test
 * @returns true when every character is a tchar and there is at least one
 * @example
 * ```ts
 * isToken('permessage-deflate'); // true
 * isToken('a b'); // false
 * ```
 */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    steps++;
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/** A forward-only cursor over one header value. Every read counts one step. */
class Scanner {
  readonly #text: string;
  readonly #header: string;
  readonly #code: HandshakeErrorCode;
  #pos = 0;

  constructor(text: string, options: ParseListOptions | undefined) {
    this.#text = text;
    this.#header = options?.header ?? 'header';
    this.#code = options?.code ?? 'WS_ERR_INVALID_HEADER';
  }

  /** The current character code, or -1 at the end. */
  peek(): number {
    steps++;
    return this.#pos < this.#text.length ? this.#text.charCodeAt(this.#pos) : -1;
  }

  advance(): void {
    this.#pos++;
  }

  /** Skips RFC 7230 OWS (`*( SP / HTAB )`). */
  skipOws(): void {
    for (let c = this.peek(); c === SP || c === HTAB; c = this.peek()) this.#pos++;
  }

  /** Reads `*tchar`; returns '' when the current character is not a tchar. */
  readToken(): string {
    const start = this.#pos;
    while (isTokenChar(this.peek())) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }

  /** Reads a non-empty token or fails with `what` in the message. */
  expectToken(what: string): string {
    const token = this.readToken();
    if (token === '') this.fail(`expected ${what}`);
    return token;
  }

  /**
   * Reads an RFC 7230 §3.2.6 quoted-string starting at the opening DQUOTE and returns it
   * unescaped. Unterminated strings and control characters fail; one pass, no backtracking.
   */
  readQuotedString(): string {
    this.#pos++; // opening DQUOTE
    let out = '';
    let runStart = this.#pos;
    for (;;) {
      const c = this.peek();
      if (c === DQUOTE) {
        out += this.#text.slice(runStart, this.#pos);
        this.#pos++;
        return out;
      }
      if (c === BACKSLASH) {
        out += this.#text.slice(runStart, this.#pos);
        this.#pos++;
        const escaped = this.peek();
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (escaped === -1) this.fail('unterminated quoted-string');
        if (!isQuotedPairChar(escaped)) this.fail('invalid escape in quoted-string');
        runStart = this.#pos;
        this.#pos++;
        continue;
      }
      if (c === -1) this.fail('unterminated quoted-string');
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
      if (!isQdtext(c)) this.fail('invalid character in quoted-string');
      this.#pos++;
    }
  }

  fail(detail: string): never {
    throw handshakeError(`Cannot parse ${this.#header}: ${detail} at index ${this.#pos}`, {
      code: this.#code,
      status: 400,
    });
  }
}

function isQdtext(c: number): boolean {
  return (
    c === HTAB ||
    c === SP ||
    c === 0x21 ||
    (c >= 0x23 && c <= 0x5b) ||
    (c >= 0x5d && c <= 0x7e) ||
    (c >= 0x80 && c <= 0xff)
  );
}

function isQuotedPairChar(c: number): boolean {
  return c === HTAB || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

/**
 * The RFC 7230 §7 list rule: `#element => [ ( "," / element ) *( OWS "," [ OWS element ] ) ]`.
 * Empty elements are skipped ("a recipient MUST accept ... empty list elements"). Every iteration
 * consumes at least one character, so the walk is linear.
 */
function parseList<T>(scanner: Scanner, element: (s: Scanner) => T): T[] {
  const out: T[] = [];
  for (;;) {
    scanner.skipOws();
    const c = scanner.peek();
    if (c === -1) return out;
    if (c === COMMA) {
      scanner.advance(); // RFC 7230 §7: empty list element, ignored
      continue;
    }
    out.push(element(scanner));
    scanner.skipOws();
    const next = scanner.peek();
    if (next === -1) return out;
    if (next !== COMMA) scanner.fail('expected "," or end of list');
    scanner.advance();
  }
}

/**
 * Parses an RFC 7230 `#token` list (e.g. `Connection`), keeping case and order. Empty elements
 * and OWS around commas are accepted (RFC 7230 §7); an empty value gives `[]`.
 *
 * @param value - the header value (duplicate header lines joined with `", "`)
 * @param options - header name and error code for the error message
 * @returns the tokens in order
 * @throws {HandshakeError} status 400 when an element is not a token
 * @example
 * ```ts
 * parseTokenList('keep-alive, Upgrade'); // ['keep-alive', 'Upgrade']
 * ```
 */
export function parseTokenList(value: string, options?: ParseListOptions): string[] {
  return parseList(new Scanner(value, options), (s) => s.expectToken('a token'));
}

/**
 * Parses an `Upgrade` header list (RFC 7230 §6.7: `protocol-name ["/" protocol-version]`, both
 * tokens), e.g. `websocket` or `HTTP/2.0, websocket`.
 *
 * @param value - the header value
 * @param options - header name and error code for the error message
 * @returns the protocols in order, `name/version` kept as one string
 * @throws {HandshakeError} status 400 on bad grammar
 */
export function parseUpgradeList(value: string, options?: ParseListOptions): string[] {
  return parseList(new Scanner(value, options), (s) => {
    const name = s.expectToken('a protocol name');
    if (s.peek() !== SLASH) return name;
    s.advance();
    return `${name}/${s.expectToken('a protocol version')}`;
  });
}

/**
 * Parses `Sec-WebSocket-Protocol` (RFC 6455 §4.1: `1#token`, "MUST all be unique strings").
 * Empty list elements are tolerated (RFC 7230 §7), but the list must hold at least one token.
 *
 * @param value - the header value
 * @returns the subprotocols in the client's order of preference
 * @throws {HandshakeError} 400 `WS_ERR_INVALID_PROTOCOL` on bad grammar, an empty list or a
 *   duplicate (`a b`, `a, a`, `b` + 32 000 spaces + `x`)
 * @example
 * ```ts
 * parseSubprotocols('chat.v2, chat.v1'); // ['chat.v2', 'chat.v1']
 * ```
 */
export function parseSubprotocols(value: string): string[] {
  const options = { header: 'Sec-WebSocket-Protocol', code: 'WS_ERR_INVALID_PROTOCOL' } as const;
  const list = parseTokenList(value, options);
  if (list.length === 0) {
    throw handshakeError('Cannot parse Sec-WebSocket-Protocol: the list is empty', { code: options.code, status: 400 });
  }
  const seen = new Set<string>();
  for (const protocol of list) {
    // RFC 6455 §4.1: the elements "MUST all be unique strings"
    if (seen.has(protocol)) {
      throw handshakeError('Cannot parse Sec-WebSocket-Protocol: a subprotocol is listed twice', {
        code: options.code,
        status: 400,
      });
    }
    seen.add(protocol);
  }
  return list;
}

/**
 * Parses `Sec-WebSocket-Extensions` with the RFC 6455 §9.1 grammar:
 * `1#( extension-token *( ";" extension-param ) )`, `extension-param = token [ "=" (token |
 * quoted-string) ]`. OWS is accepted around `,`, `;` and `=`. A quoted value is unescaped and
 * "MUST conform to the 'token' ABNF" (§9.1), else the header is malformed. The same extension
 * may appear several times (several offers, in the client's order of preference). A repeated
 * parameter keeps its first value and is listed in `duplicateParams`.
 *
 * @param value - the header value (duplicate header lines joined with `", "`)
 * @returns the extensions in header order
 * @throws {HandshakeError} 400 `WS_ERR_INVALID_EXTENSION` on any grammar violation, including an
 *   empty list (RFC 6455 §9.1 `1#extension`)
 * @example
 * ```ts
 * const [offer] = parseExtensionHeader('permessage-deflate; client_max_window_bits');
 * offer?.params.get('client_max_window_bits'); // true
 * ```
 */
export function parseExtensionHeader(value: string): ExtensionOffer[] {
  const scanner = new Scanner(value, { header: 'Sec-WebSocket-Extensions', code: 'WS_ERR_INVALID_EXTENSION' });
  const list = parseList(scanner, parseExtension);
  if (list.length === 0) scanner.fail('the list is empty');
  return list;
}

function parseExtension(s: Scanner): ExtensionOffer {
  const name = s.expectToken('an extension name');
  const params = new Map<string, string | true>();
  let duplicates: Set<string> | null = null; // a Set: an array's includes() would make this quadratic
  for (;;) {
    s.skipOws();
    if (s.peek() !== SEMICOLON) break;
    s.advance();
    s.skipOws();
    const param = s.expectToken('a parameter name');
    s.skipOws();
    let paramValue: string | true = true;
    if (s.peek() === EQUALS) {
      s.advance();
      s.skipOws();
      if (s.peek() === DQUOTE) {
        paramValue = s.readQuotedString();
        // RFC 6455 §9.1: "the value after quoted-string unescaping MUST conform to the 'token' ABNF"
        if (!isToken(paramValue)) s.fail('quoted parameter value is not a token');
      } else {
        paramValue = s.expectToken('a parameter value');
      }
    }
    if (params.has(param)) {
      duplicates ??= new Set();
      duplicates.add(param);
    } else {
      params.set(param, paramValue);
    }
  }
  return duplicates === null ? { name, params } : { name, params, duplicateParams: [...duplicates] };
}

/**
 * Serializes extensions for a `Sec-WebSocket-Extensions` header: `name; key=value; flag, next`.
 * Values are always written as bare tokens (RFC 6455 §9.1 only allows token values), so
 * `parseExtensionHeader(serializeExtensions(list))` gives back `list`.
 *
 * @param list - extensions in order; `duplicateParams` is ignored
 * @returns the header value ('' for an empty list)
 * @throws {TypeError} when a name, parameter name or value is not a token (caller misuse; such a
 *   header could not be parsed back)
 * @example
 * ```ts
 * serializeExtensions([{ name: 'permessage-deflate', params: new Map([['server_max_window_bits', '10']]) }]);
 * // 'permessage-deflate; server_max_window_bits=10'
 * ```
 */
export function serializeExtensions(list: readonly ExtensionOffer[]): string {
  const parts: string[] = [];
  for (const ext of list) {
    if (!isToken(ext.name)) throw new TypeError('Cannot serialize extension: the name is not a token');
    let part = ext.name;
    for (const [key, paramValue] of ext.params) {
      if (!isToken(key))
        throw new TypeError(`Cannot serialize extension "${ext.name}": a parameter name is not a token`);
      if (paramValue === true) {
        part += `; ${key}`;
      } else {
        if (typeof paramValue !== 'string' || !isToken(paramValue)) {
          throw new TypeError(`Cannot serialize extension "${ext.name}": the value of "${key}" is not a token`);
        }
        part += `; ${key}=${paramValue}`;
      }
    }
    parts.push(part);
  }
  return parts.join(', ');
}

// Sans-I/O handshake: the server's reading of an upgrade request and the heads it writes back (RFC 6455 §4.2). No sockets, no timers.
// Over 400 lines as one idea: the RFC's checks of one upgrade request, each quoted where it is enforced.
import { computeAcceptKey, isValidKey } from './accept-key.ts';
import { handshakeError } from './codes.ts';
import type { ExtensionOffer } from './header-tokens.ts';
import { isToken, parseExtensionHeader, parseSubprotocols, parseTokenList, parseUpgradeList } from './header-tokens.ts';
import type { HeaderMap } from './headers.ts';
import { equalsLowerCase, formatExtraHeaders, listHeader, sanitizeHeaderValue, singleHeader } from './headers.ts';

/**
 * An HTTP upgrade request, in the shape of Node's `IncomingMessage`: lower-case header names.
 * Pass `req.headersDistinct` (arrays) rather than `req.headers` when you can: Node's `headers`
 * silently keeps only the first of two `Host` lines, so a duplicate would go unnoticed.
 */
export interface UpgradeRequest {
  /** Request method, case-sensitive (`GET`). */
  readonly method: string;
  /** `major.minor`, as Node reports it (`1.1`). */
  readonly httpVersion: string;
  /** Request target (path and query), passed through untouched. */
  readonly url: string;
  /** Header map with lower-case names; a repeated header is an array or a `", "`-joined string. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/** What a valid upgrade request asked for (RFC 6455 §4.2.1). */
export interface ValidatedRequest {
  /** `Sec-WebSocket-Key`, validated (16 bytes in base64). */
  readonly key: string;
  /** `Sec-WebSocket-Protocol` entries in the client's order of preference; [] when absent. */
  readonly protocols: string[];
  /** `Sec-WebSocket-Extensions` offers in order; [] when absent. */
  readonly extensions: ExtensionOffer[];
  /** `Origin` as sent (OWS trimmed), or null when absent. Checking it is the caller's policy. */
  readonly origin: string | null;
  /** `Host` as sent (OWS trimmed). */
  readonly host: string;
}

/**
 * Checks an opening handshake request against RFC 6455 §4.2.1, in this order, and returns what
 * it asked for. Each failure is a {@link HandshakeError} whose `status` and `headers` are the
 * HTTP answer to send (with {@link buildRejectResponse}):
 *
 * 1. method not `GET`: 405 with `Allow: GET` (`WS_ERR_METHOD_NOT_ALLOWED`)
 * 2. HTTP version below 1.1 or malformed: 400 (`WS_ERR_UNSUPPORTED_HTTP_VERSION`)
 * 3. Hixie-76 `Sec-WebSocket-Key1`/`Key2`: 400 (`WS_ERR_HIXIE_UNSUPPORTED`), only RFC 6455 is spoken
 * 4. `Host` missing, repeated or not a plausible host: 400 (`WS_ERR_INVALID_HOST`)
 * 5. no `Upgrade` header, or `Connection` without the `upgrade` token: 426 with
 *    `Upgrade: websocket` (`WS_ERR_UPGRADE_REQUIRED`): the client did not ask to upgrade at all
 * 6. `Upgrade` present without a `websocket` token (`h2c`, `websocketx`): 400 (`WS_ERR_INVALID_UPGRADE`)
 * 7. `Sec-WebSocket-Version` missing or not exactly `13`: 426 with `Sec-WebSocket-Version: 13`
 *    (`WS_ERR_UNSUPPORTED_VERSION`). A missing version gets 426 too, not 400: the answer then tells
 *    an old client which version to speak (§4.4), and docs/security-cases.md HS-07 asks for it
 * 8. `Sec-WebSocket-Key` missing or not 16 bytes of base64: 400 (`WS_ERR_INVALID_KEY`)
 * 9. `Sec-WebSocket-Protocol` / `Sec-WebSocket-Extensions` malformed: 400
 *
 * Single-valued headers (`Host`, `Origin`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`) given
 * as an array of more than one line are rejected with 400 (`WS_ERR_DUPLICATE_HEADER`); joined by
 * Node into `"a, b"` they fail their own syntax check instead (400 for key/host, 426 for version).
 *
 * @param req - the request line and headers
 * @returns the validated key, protocols, extension offers, origin and host
 * @throws {HandshakeError} as listed above; never anything else for any header content
 * @throws {TypeError} when `req.headers` holds something other than strings (caller misuse)
 * @example
 * ```ts
 * const v = validateUpgradeRequest({ method: 'GET', httpVersion: '1.1', url: '/ws', headers: {
 *   host: 'example.com', upgrade: 'websocket', connection: 'Upgrade',
 *   'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
 * v.key; // 'dGhlIHNhbXBsZSBub25jZQ=='
 * ```
 */
export function validateUpgradeRequest(req: UpgradeRequest): ValidatedRequest {
  const headers: HeaderMap = req.headers;

  // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request"
  if (req.method !== 'GET') {
    throw handshakeError('Cannot upgrade: the method must be GET', {
      code: 'WS_ERR_METHOD_NOT_ALLOWED',
      status: 405,
      headers: { Allow: 'GET' },
    });
  }
  if (!isHttp11OrHigher(req.httpVersion)) {
    throw handshakeError('Cannot upgrade: HTTP/1.1 or higher is required', {
      code: 'WS_ERR_UNSUPPORTED_HTTP_VERSION',
      status: 400,
    });
  }

  // Hixie-76 / hybi-00 handshakes are not spoken (OWASP: only RFC 6455)
  if (
    listHeader(headers, 'sec-websocket-key1') !== undefined ||
    listHeader(headers, 'sec-websocket-key2') !== undefined
  ) {
    throw handshakeError('Cannot upgrade: Hixie-76 handshakes are not supported', {
      code: 'WS_ERR_HIXIE_UNSUPPORTED',
      status: 400,
    });
  }

  // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the server's authority"
  // (RFC 7230 §5.4: 400 for a missing, repeated or invalid Host)
  const host = singleHeader(headers, 'host', { status: 400, code: 'WS_ERR_INVALID_HOST' });
  if (host === undefined || !isPlausibleHost(host)) {
    throw handshakeError('Cannot upgrade: the Host header is missing or invalid', {
      code: 'WS_ERR_INVALID_HOST',
      status: 400,
    });
  }

  // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket",
  // treated as an ASCII case-insensitive value"; item 4: "A |Connection| header field that
  // includes the token "Upgrade", treated as an ASCII case-insensitive value"
  const upgrade = listHeader(headers, 'upgrade');
  const connection = listHeader(headers, 'connection');
  // A bare `Upgrade` token (what clients send) is the list ['Upgrade']: no need to parse it.
  const connectionUpgrades =
    connection !== undefined &&
    (equalsLowerCase(connection, 'upgrade') ||
      containsToken(
        parseTokenList(connection, { header: 'Connection', code: 'WS_ERR_INVALID_CONNECTION' }),
        'upgrade',
      ));
  if (upgrade === undefined || !connectionUpgrades) {
    // RFC 7231 §6.5.15: "The server MUST send an Upgrade header field in a 426 response"
    throw handshakeError('Cannot upgrade: the request does not ask for a WebSocket upgrade', {
      code: 'WS_ERR_UPGRADE_REQUIRED',
      status: 426,
      headers: { Upgrade: 'websocket' },
    });
  }
  if (
    !equalsLowerCase(upgrade, 'websocket') &&
    !containsToken(parseUpgradeList(upgrade, { header: 'Upgrade', code: 'WS_ERR_INVALID_UPGRADE' }), 'websocket')
  ) {
    throw handshakeError('Cannot upgrade: the Upgrade header does not name websocket', {
      code: 'WS_ERR_INVALID_UPGRADE',
      status: 400,
    });
  }

  // RFC 6455 §4.2.2 /version/: "If this version does not match a version understood by the
  // server, the server MUST abort the WebSocket handshake ... and instead send an appropriate HTTP
  // error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field"
  const version = singleHeader(headers, 'sec-websocket-version', { status: 400 });
  if (version !== '13') {
    throw handshakeError('Cannot upgrade: Sec-WebSocket-Version must be 13', {
      code: 'WS_ERR_UNSUPPORTED_VERSION',
      status: 426,
      headers: { 'Sec-WebSocket-Version': '13' },
    });
  }

  // RFC 6455 §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded value
  // that, when decoded, is 16 bytes in length"
  const key = singleHeader(headers, 'sec-websocket-key', { status: 400 });
  if (key === undefined || !isValidKey(key)) {
    throw handshakeError('Cannot upgrade: Sec-WebSocket-Key is missing or invalid', {
      code: 'WS_ERR_INVALID_KEY',
      status: 400,
    });
  }

  const origin = singleHeader(headers, 'origin', { status: 400 }) ?? null;
  const protocolHeader = listHeader(headers, 'sec-websocket-protocol');
  const protocols = protocolHeader === undefined ? [] : parseSubprotocols(protocolHeader);
  const extensionHeader = listHeader(headers, 'sec-websocket-extensions');
  const extensions = extensionHeader === undefined ? [] : parseExtensionHeader(extensionHeader);

  return { key, protocols, extensions, origin, host };
}

/** `major.minor` with digits only; true for 1.1 and above. */
function isHttp11OrHigher(version: string): boolean {
  const dot = version.indexOf('.');
  if (dot <= 0 || dot === version.length - 1 || version.length > 9) return false;
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (i !== dot && (c < 0x30 || c > 0x39)) return false;
  }
  const major = Number(version.slice(0, dot));
  const minor = Number(version.slice(dot + 1));
  return major > 1 || (major === 1 && minor >= 1);
}

/**
 * RFC 7230 §5.4 `uri-host [ ":" port ]`, loosely: unreserved, `%`, sub-delims except `,`, plus
 * `:` `[` `]` for ports and IPv6 literals. A comma is refused on purpose: it is what two Host
 * lines joined by a proxy or by Node look like.
 */
function isPlausibleHost(host: string): boolean {
  if (host.length === 0) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c >= 128 || HOST_CHAR[c] !== 1) return false;
  }
  return true;
}

const HOST_CHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) HOST_CHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) HOST_CHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) HOST_CHAR[c] = 1;
for (const ch of "-._~%!$&'()*+;=:[]") HOST_CHAR[ch.charCodeAt(0)] = 1;

function containsToken(list: readonly string[], lowerCaseToken: string): boolean {
  for (const item of list) if (item.toLowerCase() === lowerCaseToken) return true;
  return false;
}

const ACCEPT_RESERVED: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * Builds the complete `101 Switching Protocols` head (RFC 6455 §4.2.2 step 5), ending in
 * `\r\n\r\n`.
 *
 * @param opts - `key`: the validated client key; `protocol`: the selected subprotocol (one the
 *   client offered) or null/absent for none; `extensions`: the `Sec-WebSocket-Extensions` value to
 *   send (e.g. from `acceptDeflateOffer`) or null; `headers`: extra headers (CR/LF and other control
 *   characters are stripped from their values)
 * @returns the response head, ASCII
 * @throws {TypeError} when the key is invalid, the protocol is not a token, or an extra header
 *   name is not a token or is one this function writes itself
 * @example
 * ```ts
 * buildAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' });
 * // 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
 * // 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'
 * ```
 */
export function buildAcceptResponse(opts: {
  key: string;
  protocol?: string | null;
  extensions?: string | null;
  headers?: Record<string, string>;
}): string {
  if (!isValidKey(opts.key)) throw new TypeError('Cannot build the accept response: invalid Sec-WebSocket-Key');
  let head =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAcceptKey(opts.key)}\r\n`;
  if (opts.protocol !== undefined && opts.protocol !== null && opts.protocol !== '') {
    if (!isToken(opts.protocol))
      throw new TypeError('Cannot build the accept response: the subprotocol is not a token');
    head += `Sec-WebSocket-Protocol: ${opts.protocol}\r\n`;
  }
  if (opts.extensions !== undefined && opts.extensions !== null && opts.extensions !== '') {
    head += `Sec-WebSocket-Extensions: ${sanitizeHeaderValue(opts.extensions)}\r\n`;
  }
  return `${head}${formatExtraHeaders(opts.headers, ACCEPT_RESERVED)}\r\n`;
}

/** Reason phrases for the statuses a handshake is likely to be refused with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
});

const REJECT_RESERVED: ReadonlySet<string> = new Set(['connection', 'content-length', 'transfer-encoding']);
const utf8 = new TextEncoder();

/**
 * Builds a complete HTTP/1.1 error response (head and body) that refuses an upgrade. It always
 * carries `Connection: close` (the caller ends the socket after writing it, so no byte after a
 * refused handshake is ever read as a frame) and a `Content-Length`. When the extra headers
 * include `Upgrade` (426), `Connection` also names `Upgrade`, as RFC 7230 §6.7 asks of a sender
 * of `Upgrade`. Header values are stripped of CR, LF and other control characters.
 *
 * @param status - 300-599, typically `HandshakeError.status`
 * @param opts - `headers`: extra headers such as `HandshakeError.headers` (`Content-Type` may be
 *   overridden; `text/plain; charset=utf-8` otherwise); `body`: the body text, default the reason
 *   phrase. The body is never built from request data here
 * @returns the response as a string (write it as UTF-8)
 * @throws {RangeError} when `status` is not an integer in 300-599
 * @throws {TypeError} when an extra header name is not a token or is `Connection`,
 *   `Content-Length` or `Transfer-Encoding`
 * @example
 * ```ts
 * buildRejectResponse(426, { headers: { 'Sec-WebSocket-Version': '13' } });
 * ```
 */
export function buildRejectResponse(
  status: number,
  opts?: { headers?: Record<string, string>; body?: string },
): string {
  if (!Number.isInteger(status) || status < 300 || status > 599) {
    throw new RangeError(`Cannot build a reject response with status ${String(status)}: expected 300-599`);
  }
  const reason = STATUS_TEXT[status] ?? '';
  const body = opts?.body ?? reason;
  const extra = opts?.headers ?? {};
  let hasContentType = false;
  let hasUpgrade = false;
  for (const name of Object.keys(extra)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') hasContentType = true;
    if (lower === 'upgrade') hasUpgrade = true;
  }
  let head = `HTTP/1.1 ${status} ${reason}\r\n` + `Connection: ${hasUpgrade ? 'Upgrade, close' : 'close'}\r\n`;
  if (!hasContentType) head += 'Content-Type: text/plain; charset=utf-8\r\n';
  head += `Content-Length: ${utf8.encode(body).byteLength}\r\n`;
  return `${head}${formatExtraHeaders(extra, REJECT_RESERVED)}\r\n${body}`;
}

const CLIENT_RESERVED: ReadonlySet<string> = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * Builds the client's opening handshake request head (RFC 6455 §4.1), ending in `\r\n\r\n`.
 *
 * @param opts - `host`: the `Host` value (`example.com:8080`); `path`: the request target,
 *   already percent-encoded (`/chat?room=1`); `key`: from {@link generateKey}; `protocols`:
 *   subprotocols to offer (tokens, unique); `extensions`: the `Sec-WebSocket-Extensions` offer
 *   (e.g. from `buildDeflateOffer`) or null; `origin`: sent when given; `headers`: extra headers
 *   (values stripped of control characters)
 * @returns the request head, ASCII
 * @throws {TypeError} for an invalid host, path, key, protocol list or extra header name
 * @example
 * ```ts
 * buildClientRequest({ host: 'localhost:8080', path: '/ws', key: generateKey(), protocols: ['chat'] });
 * ```
 */
export function buildClientRequest(opts: {
  host: string;
  path: string;
  key: string;
  protocols?: string[];
  extensions?: string | null;
  origin?: string | null;
  headers?: Record<string, string>;
}): string {
  if (!isPlausibleHost(opts.host)) throw new TypeError('Cannot build the request: invalid host');
  if (!isRequestTarget(opts.path))
    throw new TypeError('Cannot build the request: the path must start with "/" and hold only visible ASCII');
  if (!isValidKey(opts.key)) throw new TypeError('Cannot build the request: invalid Sec-WebSocket-Key');
  const protocols = opts.protocols ?? [];
  const seen = new Set<string>();
  for (const p of protocols) {
    // RFC 6455 §4.1: subprotocol values "MUST all be unique strings" and tokens
    if (typeof p !== 'string' || !isToken(p))
      throw new TypeError('Cannot build the request: a subprotocol is not a token');
    if (seen.has(p)) throw new TypeError(`Cannot build the request: subprotocol "${p}" is listed twice`);
    seen.add(p);
  }
  let head =
    `GET ${opts.path} HTTP/1.1\r\n` +
    `Host: ${opts.host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${opts.key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n';
  if (protocols.length > 0) head += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  if (opts.extensions !== undefined && opts.extensions !== null && opts.extensions !== '') {
    head += `Sec-WebSocket-Extensions: ${sanitizeHeaderValue(opts.extensions)}\r\n`;
  }
  const reserved =
    opts.origin === undefined || opts.origin === null ? CLIENT_RESERVED : new Set([...CLIENT_RESERVED, 'origin']);
  if (opts.origin !== undefined && opts.origin !== null) head += `Origin: ${sanitizeHeaderValue(opts.origin)}\r\n`;
  return `${head}${formatExtraHeaders(opts.headers, reserved)}\r\n`;
}

/** origin-form request target: "/" then visible ASCII (0x21-0x7E) only. */
function isRequestTarget(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

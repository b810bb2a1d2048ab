// Sans-I/O handshake: the client's check of the server's answer (RFC 6455 §4.1). No sockets, no timers.
import { HandshakeError } from '../errors.ts';
import { computeAcceptKey, isValidKey } from './accept-key.ts';
import type { HandshakeErrorCode } from './codes.ts';
import { handshakeError } from './codes.ts';
import type { ExtensionOffer } from './header-tokens.ts';
import { parseExtensionHeader, parseSubprotocols, parseTokenList, parseUpgradeList } from './header-tokens.ts';
import type { HeaderMap } from './headers.ts';
import { listHeader, singleHeader } from './headers.ts';

/** The server's answer to the opening handshake, in the shape of Node's `IncomingMessage`. */
export interface UpgradeResponse {
  /** HTTP status code. */
  readonly statusCode: number;
  /** Header map with lower-case names; a repeated header is an array or a `", "`-joined string. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/** What the client offered, to check the answer against. */
export interface ClientOffer {
  /** The `Sec-WebSocket-Key` that was sent. */
  readonly key: string;
  /** The subprotocols that were offered ([] for none). */
  readonly protocols: readonly string[];
  /** Names of the extensions that were offered (e.g. `['permessage-deflate']`). */
  readonly extensionsOffered: readonly string[];
}

/**
 * Checks the server's handshake answer as RFC 6455 §4.1 requires of a client ("the client MUST
 * _Fail the WebSocket Connection_" for each of these):
 *
 * - status other than 101: `WS_ERR_UNEXPECTED_RESPONSE` with `status` = the status received
 * - `Upgrade` not exactly `websocket` (case-insensitive): `WS_ERR_INVALID_UPGRADE`
 * - `Connection` without the `upgrade` token: `WS_ERR_INVALID_CONNECTION`
 * - `Sec-WebSocket-Accept` missing, repeated or not the expected value: `WS_ERR_INVALID_ACCEPT`
 * - `Sec-WebSocket-Protocol` naming a subprotocol that was not offered, or present when none was
 *   offered, or more than one value: `WS_ERR_INVALID_PROTOCOL`. When subprotocols were offered and
 *   the answer names none, the connection fails too: the RFC leaves that case open, and ws,
 *   Chromium and the WHATWG WebSocket standard all fail it, so an application never runs without
 *   the protocol it required
 * - `Sec-WebSocket-Extensions` malformed, naming an extension that was not offered, or naming one
 *   twice: `WS_ERR_INVALID_EXTENSION`. The parameters are not checked here: pass the
 *   `permessage-deflate` entry to `validateDeflateResponse`
 *
 * Every failure after a 101 carries `status` 101.
 *
 * @param res - status and headers received
 * @param opts - the key, protocols and extension names that were offered
 * @returns the selected subprotocol ('' for none) and the accepted extensions
 * @throws {HandshakeError} as listed above
 * @throws {TypeError} when `opts.key` is not a valid key (caller misuse)
 * @example
 * ```ts
 * const { protocol } = validateUpgradeResponse(res, { key, protocols: ['chat'], extensionsOffered: [] });
 * ```
 */
export function validateUpgradeResponse(
  res: UpgradeResponse,
  opts: ClientOffer,
): { protocol: string; extensions: ExtensionOffer[] } {
  if (!isValidKey(opts.key)) throw new TypeError('Cannot validate the response: the offered key is invalid');
  const status = res.statusCode;
  // RFC 6455 §4.1: "If the status code received from the server is not 101, the client handles
  // the response per HTTP [RFC2616] procedures"
  if (status !== 101) {
    throw handshakeError(`Cannot open the WebSocket: unexpected server response ${String(status)}`, {
      code: 'WS_ERR_UNEXPECTED_RESPONSE',
      status,
    });
  }
  const headers: HeaderMap = res.headers;

  // RFC 6455 §4.1 item 2: "If the response lacks an |Upgrade| header field or the |Upgrade| header
  // field contains a value that is not an ASCII case-insensitive match for the value "websocket",
  // the client MUST _Fail the WebSocket Connection_"
  const upgrade = rewrap(() => {
    const value = listHeader(headers, 'upgrade');
    return value === undefined ? [] : parseUpgradeList(value, { header: 'Upgrade', code: 'WS_ERR_INVALID_UPGRADE' });
  }, 'WS_ERR_INVALID_UPGRADE');
  if (upgrade.length !== 1 || upgrade[0]?.toLowerCase() !== 'websocket') {
    throw failure('the Upgrade header is not "websocket"', 'WS_ERR_INVALID_UPGRADE');
  }

  // RFC 6455 §4.1 item 3: "If the response lacks a |Connection| header field or the |Connection|
  // header field doesn't contain a token that is an ASCII case-insensitive match for the value
  // "Upgrade", the client MUST _Fail the WebSocket Connection_"
  const connection = rewrap(() => {
    const value = listHeader(headers, 'connection');
    return value === undefined
      ? []
      : parseTokenList(value, { header: 'Connection', code: 'WS_ERR_INVALID_CONNECTION' });
  }, 'WS_ERR_INVALID_CONNECTION');
  if (!connection.some((token) => token.toLowerCase() === 'upgrade')) {
    throw failure('the Connection header does not contain "Upgrade"', 'WS_ERR_INVALID_CONNECTION');
  }

  // RFC 6455 §4.1 item 4: "If the response lacks a |Sec-WebSocket-Accept| header field or the
  // |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
  // concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string
  // "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ... the client MUST _Fail the WebSocket Connection_"
  const accept = rewrap(
    () => singleHeader(headers, 'sec-websocket-accept', { status: 101, code: 'WS_ERR_INVALID_ACCEPT' }),
    'WS_ERR_INVALID_ACCEPT',
  );
  if (accept !== computeAcceptKey(opts.key)) {
    throw failure('Sec-WebSocket-Accept is missing or does not match the key', 'WS_ERR_INVALID_ACCEPT');
  }

  // RFC 6455 §4.1 item 6: "If the response includes a |Sec-WebSocket-Protocol| header field and
  // this header field indicates the use of a subprotocol that was not present in the client's
  // handshake ..., the client MUST _Fail the WebSocket Connection_"
  const protocolHeader = listHeader(headers, 'sec-websocket-protocol');
  let protocol = '';
  if (protocolHeader !== undefined) {
    const selected = rewrap(() => parseSubprotocols(protocolHeader), 'WS_ERR_INVALID_PROTOCOL');
    if (selected.length !== 1)
      throw failure('the server selected more than one subprotocol', 'WS_ERR_INVALID_PROTOCOL');
    protocol = selected[0] as string;
    if (!opts.protocols.includes(protocol)) {
      throw failure('the server selected a subprotocol that was not offered', 'WS_ERR_INVALID_PROTOCOL');
    }
  } else if (opts.protocols.length > 0) {
    // WHATWG WebSockets "establish a WebSocket connection": protocols offered and none in the response: fail
    throw failure('the server selected no subprotocol', 'WS_ERR_INVALID_PROTOCOL');
  }

  // RFC 6455 §4.1 item 5: "If the response includes a |Sec-WebSocket-Extensions| header field and
  // this header field indicates the use of an extension that was not present in the client's
  // handshake ..., the client MUST _Fail the WebSocket Connection_"
  const extensionHeader = listHeader(headers, 'sec-websocket-extensions');
  const extensions =
    extensionHeader === undefined
      ? []
      : rewrap(() => parseExtensionHeader(extensionHeader), 'WS_ERR_INVALID_EXTENSION');
  const seen = new Set<string>();
  for (const ext of extensions) {
    if (!opts.extensionsOffered.includes(ext.name)) {
      throw failure('the server accepted an extension that was not offered', 'WS_ERR_INVALID_EXTENSION');
    }
    if (seen.has(ext.name)) throw failure('the server accepted an extension twice', 'WS_ERR_INVALID_EXTENSION');
    seen.add(ext.name);
  }

  return { protocol, extensions };
}

function failure(detail: string, code: HandshakeErrorCode, cause?: unknown): HandshakeError {
  const init = cause === undefined ? { code, status: 101 } : { code, status: 101, cause };
  return handshakeError(`Cannot open the WebSocket: ${detail}`, init);
}

/** Runs a parser and turns its 400 (a server-side status) into the client's status-101 failure. */
function rewrap<T>(parse: () => T, code: HandshakeErrorCode): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof HandshakeError) throw failure(error.message, code, error);
    throw error;
  }
}

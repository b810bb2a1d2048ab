// Sans-I/O handshake: the stable codes carried by HandshakeError. No sockets, no timers.
import { HandshakeError } from '../errors.ts';

/**
 * Stable codes of a {@link HandshakeError} thrown by the handshake functions. Listed in
 * docs/errors.md; metrics count handshake failures by this code.
 *
 * Server side (status 400 unless noted): `WS_ERR_METHOD_NOT_ALLOWED` (405), `WS_ERR_UPGRADE_REQUIRED`
 * and `WS_ERR_UNSUPPORTED_VERSION` (426), and the rest. Client side: `WS_ERR_UNEXPECTED_RESPONSE`
 * (status = the server's status), the `WS_ERR_INVALID_*` codes with status 101 (the server said
 * 101 but the answer is unacceptable), and `WS_ERR_INVALID_RESPONSE` with status 0 (the head is not
 * a well-formed HTTP/1.1 response, or exceeds the head limits).
 */
export type HandshakeErrorCode =
  | 'WS_ERR_METHOD_NOT_ALLOWED'
  | 'WS_ERR_UNSUPPORTED_HTTP_VERSION'
  | 'WS_ERR_HIXIE_UNSUPPORTED'
  | 'WS_ERR_INVALID_HOST'
  | 'WS_ERR_UPGRADE_REQUIRED'
  | 'WS_ERR_INVALID_UPGRADE'
  | 'WS_ERR_INVALID_CONNECTION'
  | 'WS_ERR_UNSUPPORTED_VERSION'
  | 'WS_ERR_INVALID_KEY'
  | 'WS_ERR_DUPLICATE_HEADER'
  | 'WS_ERR_INVALID_HEADER'
  | 'WS_ERR_INVALID_PROTOCOL'
  | 'WS_ERR_INVALID_EXTENSION'
  | 'WS_ERR_UNEXPECTED_RESPONSE'
  | 'WS_ERR_INVALID_ACCEPT'
  | 'WS_ERR_INVALID_RESPONSE'
  | 'WS_ERR_INVALID_REQUEST'
  | 'WS_ERR_REQUEST_HEAD_TOO_LARGE';

/** Every {@link HandshakeErrorCode}, for the docs/errors.md completeness check. */
export const HANDSHAKE_ERROR_CODES: readonly HandshakeErrorCode[] = [
  'WS_ERR_METHOD_NOT_ALLOWED',
  'WS_ERR_UNSUPPORTED_HTTP_VERSION',
  'WS_ERR_HIXIE_UNSUPPORTED',
  'WS_ERR_INVALID_HOST',
  'WS_ERR_UPGRADE_REQUIRED',
  'WS_ERR_INVALID_UPGRADE',
  'WS_ERR_INVALID_CONNECTION',
  'WS_ERR_UNSUPPORTED_VERSION',
  'WS_ERR_INVALID_KEY',
  'WS_ERR_DUPLICATE_HEADER',
  'WS_ERR_INVALID_HEADER',
  'WS_ERR_INVALID_PROTOCOL',
  'WS_ERR_INVALID_EXTENSION',
  'WS_ERR_UNEXPECTED_RESPONSE',
  'WS_ERR_INVALID_ACCEPT',
  'WS_ERR_INVALID_RESPONSE',
  'WS_ERR_INVALID_REQUEST',
  'WS_ERR_REQUEST_HEAD_TOO_LARGE',
];

/**
 * @internal Builds a {@link HandshakeError}; messages never contain peer data (values can be huge
 * or hostile), only header names and positions.
 */
export function handshakeError(
  message: string,
  init: { code: HandshakeErrorCode; status: number; headers?: Readonly<Record<string, string>>; cause?: unknown },
): HandshakeError {
  return new HandshakeError(message, init);
}

// Sans-I/O protocol core: error classes that carry their wire form. No sockets, no timers.

/**
 * Stable codes of {@link ProtocolError}. ws's `WS_ERR_*` names are reused where ws has one, so a
 * user of the ws adapter who branches on `err.code` keeps working. Listed in docs/errors.md.
 */
export type ProtocolErrorCode =
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_EXPECTED_FIN'
  | 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
  | 'WS_ERR_TOO_MANY_BUFFERED_PARTS'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_COMPRESSED_DATA'
  | 'WS_ERR_INTERNAL'
  | 'WS_ERR_LOCAL_FAILURE';

/** Every {@link ProtocolErrorCode}, for documentation checks. */
export const PROTOCOL_ERROR_CODES: readonly ProtocolErrorCode[] = [
  'WS_ERR_INVALID_OPCODE',
  'WS_ERR_UNEXPECTED_RSV_1',
  'WS_ERR_UNEXPECTED_RSV_2_3',
  'WS_ERR_EXPECTED_FIN',
  'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  'WS_ERR_EXPECTED_MASK',
  'WS_ERR_UNEXPECTED_MASK',
  'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
  'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  'WS_ERR_TOO_MANY_BUFFERED_PARTS',
  'WS_ERR_INVALID_UTF8',
  'WS_ERR_INVALID_CLOSE_CODE',
  'WS_ERR_INVALID_COMPRESSED_DATA',
  'WS_ERR_INTERNAL',
  'WS_ERR_LOCAL_FAILURE',
];

/** Options of {@link ProtocolError}. */
export interface ProtocolErrorInit extends ErrorOptions {
  /** Stable machine-readable code. */
  readonly code: ProtocolErrorCode;
  /** The close code sent to the peer when the connection fails with this error. */
  readonly closeCode: number;
}

/**
 * The peer broke RFC 6455/7692 (or the engine failed the connection). The connection fails with
 * `closeCode`. Never thrown out of `Connection.receive()`: it is recorded as the lifecycle's
 * `failure` and carried by the `close` event.
 *
 * @example
 * ```ts
 * const err = new ProtocolError('Cannot accept a fragmented control frame',
 *   { code: 'WS_ERR_EXPECTED_FIN', closeCode: CloseCode.PROTOCOL_ERROR });
 * ```
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Stable machine-readable code. */
  readonly code: ProtocolErrorCode;
  /** Close code put in the close frame (never 1005/1006/1015). */
  readonly closeCode: number;

  /**
   * @param message - sentence case, no trailing period, never peer data
   * @param init - code, closeCode and an optional cause
   */
  constructor(message: string, init: ProtocolErrorInit) {
    super(message, init);
    this.code = init.code;
    this.closeCode = init.closeCode;
  }
}

/** Options of {@link HandshakeError}. */
export interface HandshakeErrorInit extends ErrorOptions {
  /** Stable machine-readable code (e.g. `WS_ERR_INVALID_ACCEPT`). */
  readonly code: string;
  /** HTTP status to answer with (server side) or the status received (client side). */
  readonly status: number;
  /** Extra response headers, e.g. `{ 'Sec-WebSocket-Version': '13' }` for 426. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The opening handshake failed (RFC 6455 §4). Carries the HTTP answer as data: 426 with
 * `Sec-WebSocket-Version: 13`, 405 with `Allow: GET`, 400 otherwise.
 *
 * @example
 * ```ts
 * throw new HandshakeError('Cannot upgrade: unsupported version "8"',
 *   { code: 'WS_ERR_UNSUPPORTED_VERSION', status: 426, headers: { 'Sec-WebSocket-Version': '13' } });
 * ```
 */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  /** Stable machine-readable code. */
  readonly code: string;
  /** HTTP status. */
  readonly status: number;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param message - sentence case, no trailing period
   * @param init - code, status, headers and an optional cause
   */
  constructor(message: string, init: HandshakeErrorInit) {
    super(message, init);
    this.code = init.code;
    this.status = init.status;
    this.headers = init.headers ?? {};
  }
}

/** Caller misuse of a connection after its close frame was sent (PW `InvalidState`). */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}

/** @internal Builds the 1002 error used by most framing rules. */
export function protocolViolation(message: string, code: ProtocolErrorCode): ProtocolError {
  return new ProtocolError(message, { code, closeCode: 1002 /* CloseCode.PROTOCOL_ERROR */ });
}

// Sans-I/O protocol core (RFC 6455 / RFC 7692): bytes in, events out; commands in, bytes out. No sockets, no timers.
// The only file other layers import (DS mod.ts); everything else under src/protocol is private.

export { Opcode, isControlOpcode, isKnownOpcode } from './opcode.ts';
export {
  CloseCode,
  MAX_CLOSE_REASON_BYTES,
  isValidCloseCode,
  parseClosePayload,
  serializeClosePayload,
} from './close-code.ts';
export { HandshakeError, InvalidStateError, PROTOCOL_ERROR_CODES, ProtocolError } from './errors.ts';
export type { HandshakeErrorInit, ProtocolErrorCode, ProtocolErrorInit } from './errors.ts';
export { mask, randomMaskKey } from './mask.ts';
export { Utf8Validator, createUtf8Validator, isUtf8Valid } from './utf8.ts';
export { MAX_HEADER_SIZE, parseFrameHeader, serializeFrame, serializeFrameHeader } from './frame-header.ts';
export type { FrameHeader, FrameHeaderInit } from './frame-header.ts';
export { Connection } from './connection.ts';
export type { CloseInfo, ConnectionEvent, ConnectionOptions, Lifecycle, Role } from './connection.ts';
export * from './handshake/index.ts';
export * from './extensions/permessage-deflate.ts';

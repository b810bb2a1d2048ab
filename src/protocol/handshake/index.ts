// Sans-I/O handshake: the opening handshake of RFC 6455 §4 as pure functions. No sockets, no timers.
export { WEBSOCKET_GUID, computeAcceptKey, generateKey, isValidKey } from './accept-key.ts';
export { HANDSHAKE_ERROR_CODES } from './codes.ts';
export type { HandshakeErrorCode } from './codes.ts';
export { pickUpgradeHeaders } from './headers.ts';
export {
  isToken,
  isTokenChar,
  parseExtensionHeader,
  parseSubprotocols,
  parseTokenList,
  parseUpgradeList,
  serializeExtensions,
} from './header-tokens.ts';
export type { ExtensionOffer, ParseListOptions } from './header-tokens.ts';
export {
  STATUS_TEXT,
  buildAcceptResponse,
  buildClientRequest,
  buildRejectResponse,
  validateUpgradeRequest,
} from './request.ts';
export type { UpgradeRequest, ValidatedRequest } from './request.ts';
export { validateUpgradeResponse } from './response.ts';
export { RESPONSE_HEAD_LIMITS, ResponseHeadReader, findHeadEnd, parseResponseHead } from './response-head.ts';
export type { ResponseHead, ResponseHeadLimits } from './response-head.ts';
export type { ClientOffer, UpgradeResponse } from './response.ts';
export { REQUEST_HEAD_LIMITS, RequestHeadParser } from './request-head.ts';
export type { RequestHeadDone, RequestHeadLimits, RequestHeadRefusal, RequestHeadResult } from './request-head.ts';
export { RequestHead, headersOf, rawHeadersOf } from './request-head-view.ts';
export type { RequestHeaders } from './request-head-view.ts';
export { encodeAcceptResponse } from './accept-response.ts';

// Node-free application protocol: the RFC 6455 close codes by name, for the layers that may not import the protocol
// core's values (the browser client): the same names and values as its `CloseCode` (a test checks they agree).

/** Close status codes (RFC 6455 §7.4.1). `NO_STATUS_RECEIVED`, `ABNORMAL_CLOSURE` and `TLS_HANDSHAKE` are only reported locally. */
export const RfcCloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS_RECEIVED: 1005,
  ABNORMAL_CLOSURE: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  TLS_HANDSHAKE: 1015,
} as const;
/** One of the {@link RfcCloseCode} numbers. */
export type RfcCloseCode = (typeof RfcCloseCode)[keyof typeof RfcCloseCode];

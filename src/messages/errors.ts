// Node-free application protocol: stable error codes and disconnect codes, shared by server and browser client.
import { RfcCloseCode } from './rfc-close-code.ts';

/**
 * Stable error codes carried by `error` messages (`{"type":"error","code":"…"}`).
 *
 * Clients branch on these strings, so a code is never renamed or reused for another meaning.
 * Every code is documented in `docs/protocol.md` (a test checks that the table is complete).
 */
export const ErrorCode = {
  /** The frame is not acceptable data: not JSON / MessagePack, not an object, nested too deep, a reserved key (`__proto__`, `constructor`, `prototype`), a non-finite number, an unsupported MessagePack type, or the wrong frame type. */
  BAD_REQUEST: 'bad_request',
  /** The `type` field names no message of this protocol version. */
  UNKNOWN_TYPE: 'unknown_type',
  /** The message has a known `type` but breaks its schema (missing, extra or mistyped fields, bad channel name). */
  INVALID_MESSAGE: 'invalid_message',
  /** The frame is larger than the server accepts (`maxMessageSize`). Oversized fields are `invalid_message`. */
  TOO_LARGE: 'too_large',
  /** The connection is not authenticated, or the token is invalid. */
  UNAUTHORIZED: 'unauthorized',
  /** The token has expired: send `refresh` with a new one. */
  TOKEN_EXPIRED: 'token_expired',
  /** Authenticated, but the user's roles do not allow this operation on this channel. */
  FORBIDDEN: 'forbidden',
  /** The namespace, channel or user does not exist. */
  NOT_FOUND: 'not_found',
  /** The operation is disabled for this namespace (for example history or presence is off). */
  NOT_AVAILABLE: 'not_available',
  /** Too many messages or bytes: slow down (a client that continues is disconnected). */
  RATE_LIMITED: 'rate_limited',
  /** A second `connect` on an already authenticated connection. */
  ALREADY_CONNECTED: 'already_connected',
  /** `subscribe` to a channel this connection is already subscribed to. */
  ALREADY_SUBSCRIBED: 'already_subscribed',
  /** The operation needs a subscription to the channel first (for example `typing`). */
  NOT_SUBSCRIBED: 'not_subscribed',
  /** The per-connection subscription cap is reached. */
  TOO_MANY_SUBSCRIPTIONS: 'too_many_subscriptions',
  /** The message broker (for example Redis) is unreachable; the operation was not performed. Safe to retry. */
  BROKER_UNAVAILABLE: 'broker_unavailable',
  /** The application's backend (the HTTP proxy's target) is down, slow or failing; nothing was done. Safe to retry. */
  BACKEND_UNAVAILABLE: 'backend_unavailable',
  /** The server failed unexpectedly; details are logged on the server, never sent. */
  INTERNAL: 'internal',
  /** A document update would make the document larger than its namespace's `documentMaxBytes`; not applied. */
  DOCUMENT_TOO_LARGE: 'document_too_large',
  /** A document update (or awareness update) is larger than its namespace's `documentUpdateMaxBytes`; not applied. */
  MESSAGE_TOO_LARGE: 'message_too_large',
  /** The connection already has its namespace's `documentsPerConnection` documents open. */
  TOO_MANY_DOCUMENTS: 'too_many_documents',
} as const;
/** One of the {@link ErrorCode} strings. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One-line meaning of every {@link ErrorCode}, for docs and logs. */
export const ERROR_CODE_DESCRIPTIONS: Readonly<Record<ErrorCode, string>> = {
  bad_request:
    'The frame is not acceptable data (not JSON/MessagePack, not an object, too deep, reserved key, non-finite number, wrong frame type)',
  unknown_type: 'The message type is not part of this protocol',
  invalid_message: 'The message breaks its schema (missing, unknown or mistyped field, bad channel name)',
  too_large: 'The frame is larger than the server accepts',
  unauthorized: 'Not authenticated, or the token is invalid',
  token_expired: 'The token has expired; send refresh with a new token',
  forbidden: 'The user may not perform this operation on this channel',
  not_found: 'The namespace, channel or user does not exist',
  not_available: 'The operation is disabled for this namespace',
  rate_limited: 'Too many messages or bytes; slow down',
  already_connected: 'The connection is already authenticated',
  already_subscribed: 'Already subscribed to this channel',
  not_subscribed: 'The operation needs a subscription to this channel',
  too_many_subscriptions: 'The per-connection subscription limit is reached',
  broker_unavailable: 'The message broker is unavailable; nothing was done, retry later',
  backend_unavailable: 'The application backend is unavailable; nothing was done, retry later',
  internal: 'Internal server error',
  document_too_large: 'The update would make the document larger than the namespace allows; not applied',
  message_too_large: 'The document or awareness update is larger than the namespace allows; not applied',
  too_many_documents: 'The per-connection limit of open documents is reached',
};

/**
 * Application close codes (RFC 6455 §7.4.2: "Status codes in the range 4000-4999 are reserved for private use").
 *
 * The range carries the reconnect rule, so a client that meets an unknown code still knows what to do:
 * **4000-4499: reconnect** (with backoff, then resubscribe with `since` to recover);
 * **4500-4999: do not reconnect** until the application changes something (a new token, a fixed client).
 */
export const DisconnectCode = {
  /** No `connect` message arrived before the authentication deadline. Reconnect. */
  AUTH_TIMEOUT: 4001,
  /** The token expired and no `refresh` arrived in time. Reconnect with a fresh token. */
  TOKEN_EXPIRED: 4003,
  /** Sustained rate-limit abuse. Reconnect after a backoff. */
  RATE_LIMITED: 4008,
  /** The server is shutting down or draining. Reconnect (to another node). */
  SHUTDOWN: 4009,
  /** The client did not read fast enough and its queue overflowed. Reconnect and recover. */
  SLOW_CONSUMER: 4010,
  /** The server failed unexpectedly. Reconnect. */
  INTERNAL: 4011,
  /** The server lost track of a stream (broker outage); state must be recovered. Reconnect. */
  INSUFFICIENT_STATE: 4012,
  /** Too many malformed messages, or a message that makes the session unusable. Do not reconnect. */
  BAD_REQUEST: 4500,
  /** The token is missing, malformed or invalid. Do not reconnect with the same token. */
  INVALID_TOKEN: 4502,
  /** The user is banned or the session was revoked. Do not reconnect. */
  FORBIDDEN: 4504,
  /** The user already holds the maximum number of connections. Do not reconnect automatically. */
  CONNECTION_LIMIT: 4505,
  /**
   * No application message within the server's idle timeout. Do not reconnect automatically: a reconnect would
   * recreate the idle connection at once; come back when the user acts.
   */
  IDLE_TIMEOUT: 4506,
} as const;
/** One of the {@link DisconnectCode} numbers. */
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

/** Default close reason (at most 123 bytes, RFC 6455 §5.5) and reconnect flag of every {@link DisconnectCode}. */
export const DISCONNECT_INFO: Readonly<
  Record<DisconnectCode, { readonly reason: string; readonly reconnect: boolean }>
> = {
  4001: { reason: 'auth timeout', reconnect: true },
  4003: { reason: 'token expired', reconnect: true },
  4008: { reason: 'rate limited', reconnect: true },
  4009: { reason: 'shutdown', reconnect: true },
  4010: { reason: 'slow consumer', reconnect: true },
  4011: { reason: 'internal error', reconnect: true },
  4012: { reason: 'insufficient state', reconnect: true },
  4500: { reason: 'bad request', reconnect: false },
  4502: { reason: 'invalid token', reconnect: false },
  4504: { reason: 'forbidden', reconnect: false },
  4505: { reason: 'connection limit', reconnect: false },
  4506: { reason: 'idle timeout', reconnect: false },
};

/**
 * Whether a client should reconnect after the server closed with `code`.
 *
 * Application codes follow the range rule of {@link DisconnectCode}; for RFC 6455 codes the client reconnects
 * after going-away / abnormal / server-side trouble (1001, 1006, 1011, 1012, 1013, 1014) and not after
 * its own protocol errors (1002, 1003, 1007, 1008, 1009, 1010) or a normal close (1000).
 *
 * @param code The close code received (or 1006 when the connection dropped).
 * @returns true when reconnecting (with backoff) is the right reaction.
 */
export function shouldReconnect(code: number): boolean {
  if (code >= RECONNECT_RANGE.min && code <= RECONNECT_RANGE.max) return true;
  if (code >= STAY_AWAY_RANGE.min && code <= STAY_AWAY_RANGE.max) return false;
  return RECONNECT_AFTER.has(code);
}

/** Application close codes after which a client reconnects (see {@link DisconnectCode}). */
const RECONNECT_RANGE = { min: 4000, max: 4499 } as const;
/** Application close codes after which a client stays away until the application changes something. */
const STAY_AWAY_RANGE = { min: 4500, max: 4999 } as const;
/** RFC 6455 codes that mean the trouble was the server's or the network's: going away, lost, failing, restarting, busy. */
const RECONNECT_AFTER: ReadonlySet<number> = new Set<number>([
  RfcCloseCode.GOING_AWAY,
  RfcCloseCode.ABNORMAL_CLOSURE,
  RfcCloseCode.INTERNAL_ERROR,
  RfcCloseCode.SERVICE_RESTART,
  RfcCloseCode.TRY_AGAIN_LATER,
  RfcCloseCode.BAD_GATEWAY,
]);

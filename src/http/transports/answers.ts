// HTTP transports: the answers of the /http/* endpoints: JSON errors `{"error":<code>,"message":…}` and raw JSON bodies.
import type http from 'node:http';
import type { AdmitResult } from '../../realtime/index.ts';

/**
 * An answer as text, so that it can cross the broker when the request was forwarded from another node.
 * `body` is JSON text ('' for 204).
 */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body in pieces, when its middle is shared with other answers (a poll answer's messages, encoded once for the
   * sessions of a fan-out): `body` is `head`, `shared` as UTF-8 and `tail`, never read on this node's own responses
   * (it stays a lazy concatenation), and the only form that crosses the broker ({@link plainAnswer}).
   */
  readonly pieces?: { readonly head: string; readonly shared: Buffer; readonly tail: string };
}

/**
 * The answer as plain text (no pieces), for the broker.
 * @param answer The answer.
 */
export function plainAnswer(answer: RawAnswer): RawAnswer {
  if (answer.pieces === undefined) return answer;
  return {
    status: answer.status,
    body: answer.body,
    ...(answer.headers === undefined ? {} : { headers: answer.headers }),
  };
}

/** The error codes of the /http/* endpoints besides those of src/messages/errors.ts (docs/protocol.md § 15). */
export const HttpTransportError = {
  /** The session id names no open session (never issued, ended, or timed out). */
  UNKNOWN_SESSION: 'unknown_session',
  /** The node holding the session did not answer in time, or this node is at a limit: retry or reconnect. */
  UNAVAILABLE: 'unavailable',
  /** The per-address connection cap (`maxConnectionsPerIp`) is reached: 503, as `/ws` answers it. */
  TOO_MANY_CONNECTIONS: 'too_many_connections',
  /** A POST without `Content-Type: application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  /** More messages in one POST than allowed. */
  TOO_MANY_ITEMS: 'too_many_items',
  /** A method the endpoint does not serve. */
  METHOD_NOT_ALLOWED: 'method_not_allowed',
} as const;

/**
 * An error answer.
 * @param status HTTP status.
 * @param code Stable error code.
 * @param message Human-readable; never echoes request data.
 * @param headers Extra headers (Retry-After, WWW-Authenticate).
 */
export function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
): RawAnswer {
  return { status, body: JSON.stringify({ error: code, message }), ...(headers === undefined ? {} : { headers }) };
}

/** The code of a refusal of the `/ws` checks, by status. */
const REFUSAL_CODES: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'rate_limited',
  503: HttpTransportError.UNAVAILABLE,
};

/**
 * The JSON form of a refusal of {@link RealtimeServer.admit} / `authorize` (whose bodies are plain text).
 * @param refusal The refusal.
 */
export function refusalAnswer(refusal: Extract<AdmitResult, { ok: false }>): RawAnswer {
  const status = refusal.status;
  const fallback =
    status === 401 ? 'The credential is not valid' : status === 503 ? 'The server is draining' : 'Refused';
  const message = refusal.body?.trim() || fallback;
  return errorAnswer(status, REFUSAL_CODES[status] ?? 'forbidden', message, refusal.headers);
}

/**
 * Writes an answer (no-op once headers went out). Error answers close the connection, so an unread body cannot be
 * taken for the next request.
 * @param res The response.
 * @param answer The answer.
 * @param extra Headers added by the caller (CORS).
 */
export function writeAnswer(
  res: http.ServerResponse,
  answer: RawAnswer,
  extra: Readonly<Record<string, string>>,
): void {
  if (res.headersSent || res.destroyed) return;
  // A body in pieces goes out as one buffer: its shared middle is copied, not encoded again per answer, and a string
  // body would be flattened twice (for its length, then joined to the head by node:http).
  const pieces = answer.pieces;
  const body = pieces === undefined ? answer.body : joinPieces(pieces.head, pieces.shared, pieces.tail);
  // Built in place (no spreads): every poll answer comes through here.
  const headers: Record<string, string | number> = {};
  if (body.length !== 0) headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  headers['Cache-Control'] = 'no-store';
  headers['X-Content-Type-Options'] = 'nosniff';
  if (answer.status >= 400) headers['Connection'] = 'close';
  for (const name in extra) headers[name] = extra[name]!;
  if (answer.headers !== undefined) for (const name in answer.headers) headers[name] = answer.headers[name]!;
  res.writeHead(answer.status, headers);
  res.end(body);
}

function joinPieces(head: string, shared: Buffer, tail: string): Buffer {
  const headBytes = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headBytes + shared.length + Buffer.byteLength(tail));
  out.write(head, 0);
  shared.copy(out, headBytes);
  out.write(tail, headBytes + shared.length);
  return out;
}

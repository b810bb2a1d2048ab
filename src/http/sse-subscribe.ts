// HTTP: `GET /sse`, plain EventSource subscriptions: a protocol session inside, its publications written as SSE events.
import type http from 'node:http';
import { DisconnectCode, ErrorCode } from '../messages/index.ts';
import type { Namespaces, RealtimeServer } from '../realtime/index.ts';
import { sendJson, type JsonAnswer } from './api.ts';
import { parseLastEventId, parseSseChannels, type SsePosition } from './sse-event-id.ts';
import { SETUP_GONE, SseSubscriberStream, type SseSetupOutcome } from './sse-stream.ts';

/** Options of `GET /sse`. */
export interface SseSubscribeOptions {
  /**
   * The `retry:` field: how long a browser waits before reconnecting after the stream ends, in milliseconds.
   * @default 2000 - soon enough that a stream cut by a proxy or a slow-consumer bound resumes unnoticed; long enough
   *   that a draining node's thousands of streams do not all come back within the same second
   */
  readonly retryMs?: number;
  /**
   * Period of the `: keepalive` comment lines, in milliseconds.
   * @default 15000 - under the 30-60 s idle timeouts of common proxies and load balancers
   */
  readonly keepaliveMs?: number;
}

/** What the handler reads from the server beside the hub. */
export interface SseSubscribeContext {
  readonly hub: RealtimeServer;
  readonly namespaces: Namespaces;
  /** The timings, checked by {@link resolveSseOptions}. */
  readonly options: Required<SseSubscribeOptions>;
}

const DEFAULT_RETRY_MS = 2000;
const DEFAULT_KEEPALIVE_MS = 15_000;

/**
 * Applies the defaults of {@link SseSubscribeOptions} and checks them once, when the server is built.
 * @param options The server's `sse` options.
 * @returns Every timing set.
 * @throws {RangeError} For a timing that is not a whole number of milliseconds from 1.
 */
export function resolveSseOptions(options: SseSubscribeOptions = {}): Required<SseSubscribeOptions> {
  const resolved = {
    retryMs: options.retryMs ?? DEFAULT_RETRY_MS,
    keepaliveMs: options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`Cannot use sse.${name} "${value}": expected a whole number of milliseconds from 1`);
  }
  return resolved;
}
/** The request ids of the setup: `connect`, then one `subscribe` per channel from 1. */
const CONNECT_RID = 0;

const STATUS_ERRORS: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Serves `GET /sse?channel=…` (docs/protocol.md § 15.4): the `/ws` admission checks, a session that connects with the
 * request's credential (anonymous where allowed) and subscribes to every channel (with `since` from `Last-Event-ID`),
 * then the event stream. Every refusal before the stream is an HTTP status with a JSON body.
 * @param req The request (method already checked).
 * @param res Its response: a JSON error or the event stream.
 * @param context The hub, the namespaces and the stream's timings.
 */
export async function handleSseSubscribe(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  context: SseSubscribeContext,
): Promise<void> {
  req.resume();
  const refuse = (answer: JsonAnswer): void => sendJson(res, answer);
  const url = new URL(req.url ?? '/', 'http://switchboard.invalid');
  const channels = parseSseChannels(url.searchParams);
  if (!Array.isArray(channels)) {
    const error = channels as Exclude<typeof channels, readonly string[]>;
    refuse({ status: 400, body: { ...error } });
    return;
  }
  for (const channel of channels) {
    const resolved = context.namespaces.resolve(channel);
    if (resolved.ok && resolved.config.document) {
      refuse({
        status: 400,
        body: { error: ErrorCode.NOT_AVAILABLE, message: 'Documents are not served over /sse: use the WebSocket' },
      });
      return;
    }
  }
  const header = req.headers['last-event-id'];
  // The header wins: a browser sends it on every reconnect, while the query keeps the position the page started from.
  const lastEventId = typeof header === 'string' && header !== '' ? header : url.searchParams.get('lastEventId');
  let since: readonly (SsePosition | null)[] = channels.map(() => null);
  if (lastEventId !== null && lastEventId !== '') {
    const parsed = parseLastEventId(lastEventId, channels.length);
    if (!Array.isArray(parsed)) {
      refuse({ status: 400, body: { ...(parsed as object) } });
      return;
    }
    since = parsed;
  }

  const admitted = await context.hub.admission.admit(req);
  if (!admitted.ok) {
    const error = STATUS_ERRORS[admitted.status] ?? 'bad_request';
    refuse({
      status: admitted.status,
      body: { error, message: admitted.body?.trim() ?? `Refused (${error})` },
      ...(admitted.headers === undefined ? {} : { headers: admitted.headers }),
    });
    return;
  }
  if (res.destroyed) return;
  const reserved = context.hub.wss.reserveConnection(admitted.address);
  if (!reserved.ok) {
    refuse({
      // 503 for either cap, as `/ws` and the HTTP sessions answer them; the body's code says which.
      status: 503,
      body: {
        error: reserved.cap === 'ip' ? 'too_many_connections' : 'unavailable',
        message: reserved.cap === 'ip' ? 'Too many connections from this address' : 'The server is full',
      },
      headers: { 'Retry-After': '5' },
    });
    return;
  }

  const origin = req.headers.origin;
  const stream = new SseSubscriberStream({
    res,
    remoteAddress: admitted.address,
    channels,
    retryMs: context.options.retryMs,
    keepaliveMs: context.options.keepaliveMs,
    // The origin passed the `/ws` origin check: let that page read the stream (credentials: the cookie may be the token).
    headers:
      typeof origin === 'string'
        ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
        : {},
    ended: (code, reason) => {
      reserved.release();
      session.transportClosed(code, reason);
    },
  });
  const session = context.hub.openSession(stream, admitted.identity);
  session.receive(JSON.stringify({ type: 'connect', rid: CONNECT_RID }));
  channels.forEach((channel, i) => {
    const position = since[i];
    session.receive(
      JSON.stringify({ type: 'subscribe', rid: i + 1, channel, ...(position == null ? {} : { since: position }) }),
    );
  });
  const outcome = await stream.setup;
  if (outcome.ok) return;
  session.disconnect(1000, 'refused');
  reserved.release();
  // A client that left during the setup gets no answer: its socket is gone.
  if (outcome.code === SETUP_GONE) return;
  refuse(setupRefusal(outcome, admitted.identity === null || admitted.identity.anonymous));
}

/**
 * The HTTP answer of a session that could not connect or subscribe.
 * @param outcome The protocol error (or the disconnect) the session answered.
 * @param anonymous Whether the request presented no credential: a refusal then asks for one (401).
 */
function setupRefusal(outcome: Exclude<SseSetupOutcome, { ok: true }>, anonymous: boolean): JsonAnswer {
  const body = { error: outcome.code, message: outcome.message };
  switch (outcome.code) {
    case ErrorCode.UNAUTHORIZED:
    case ErrorCode.TOKEN_EXPIRED:
      return { status: 401, body, headers: { 'WWW-Authenticate': 'Bearer' } };
    case ErrorCode.FORBIDDEN:
      return anonymous
        ? {
            status: 401,
            body: { error: ErrorCode.UNAUTHORIZED, message: `${outcome.message}: a token is required` },
            headers: { 'WWW-Authenticate': 'Bearer' },
          }
        : { status: 403, body };
    case ErrorCode.NOT_FOUND:
      return { status: 404, body };
    case ErrorCode.NOT_AVAILABLE:
    case ErrorCode.INVALID_MESSAGE:
    case ErrorCode.TOO_MANY_SUBSCRIPTIONS:
      return { status: 400, body };
    case ErrorCode.RATE_LIMITED:
      return { status: 429, body, headers: { 'Retry-After': '1' } };
    case ErrorCode.BROKER_UNAVAILABLE:
    case ErrorCode.BACKEND_UNAVAILABLE:
      return { status: 503, body, headers: { 'Retry-After': '1' } };
    case 'disconnected':
      return disconnectRefusal(outcome.disconnect ?? 0, outcome.message);
    default:
      return { status: 500, body: { error: ErrorCode.INTERNAL, message: 'Internal server error' } };
  }
}

function disconnectRefusal(code: number, reason: string): JsonAnswer {
  switch (code) {
    case DisconnectCode.TOKEN_EXPIRED:
    case DisconnectCode.INVALID_TOKEN:
      return { status: 401, body: { error: ErrorCode.UNAUTHORIZED, message: reason } };
    case DisconnectCode.FORBIDDEN:
      return { status: 403, body: { error: ErrorCode.FORBIDDEN, message: reason } };
    case DisconnectCode.CONNECTION_LIMIT:
      return { status: 429, body: { error: 'too_many_connections', message: reason } };
    default:
      return { status: 503, body: { error: 'unavailable', message: reason }, headers: { 'Retry-After': '1' } };
  }
}

// HTTP: `GET /api/history` and `GET /api/presence`: the protocol's reads for an API key, a user token or anonymous.
import type http from 'node:http';
import { BrokerError } from '../broker/index.ts';
import { ErrorCode, Limits, toPublicationWire } from '../messages/index.ts';
import type { Authenticator, Identity, Namespaces, Permissions, RealtimeServer } from '../realtime/index.ts';
import { checkSignedRequest, isSignedRequest, type ApiKeys, type ApiSignatures, type JsonAnswer } from './api.ts';
import { parseLastEventId } from './sse-event-id.ts';

/** What the read endpoints check callers against. */
export interface ReadsContext {
  readonly hub: RealtimeServer;
  readonly keys: ApiKeys;
  readonly signatures: ApiSignatures | null;
  readonly authenticator: Authenticator;
  /** The same instance the hub decides with. */
  readonly permissions: Permissions;
  readonly namespaces: Namespaces;
}

/** Publications a history read returns without `limit`: the protocol's default (docs/protocol.md § 5 `history`). */
const DEFAULT_HISTORY_LIMIT = 100;
/** Largest `limit`: the protocol's bound on one `history` request. */
const MAX_HISTORY_LIMIT = 1000;
const HISTORY_PARAMS = ['channel', 'since', 'limit', 'before'];
const PRESENCE_PARAMS = ['channel'];

type Caller = { readonly kind: 'key' } | { readonly kind: 'user'; readonly identity: Identity };

const invalid = (message: string): JsonAnswer => ({ status: 400, body: { error: ErrorCode.INVALID_MESSAGE, message } });

/**
 * `GET /api/history?channel=&since=&limit=&before=`: a page of a channel's retained publications, as the protocol's
 * `history` reply (`{channel, epoch, offset, publications, recovered?}`).
 * @param req The request (method already checked).
 * @param context Keys, authenticator, permissions.
 * @returns 200 with the page, or 400/401/403/404/503.
 */
export async function handleHistory(req: http.IncomingMessage, context: ReadsContext): Promise<JsonAnswer> {
  const read = await readRequest(req, context, HISTORY_PARAMS, 'history');
  if ('answer' in read) return read.answer;
  const { params, channel, historySize } = read;
  const sinceText = params.get('since');
  let since: { epoch: string; offset: number } | undefined;
  if (sinceText !== null) {
    const parsed = parseLastEventId(sinceText, 1);
    const position = Array.isArray(parsed) ? parsed[0] : null;
    if (position === null || position === undefined) return invalid('Invalid since: expected <epoch>:<offset>');
    since = position;
  }
  const limit = wholeNumber(params.get('limit'), 1, MAX_HISTORY_LIMIT);
  if (limit === 'invalid') return invalid(`Invalid limit: expected a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
  const before = wholeNumber(params.get('before'), 0, Number.MAX_SAFE_INTEGER);
  if (before === 'invalid') return invalid('Invalid before: expected an offset');
  try {
    const result = await context.hub.broker.history(channel, {
      limit: Math.min(limit ?? DEFAULT_HISTORY_LIMIT, historySize),
      ...(since === undefined ? {} : { since }),
      ...(before === undefined ? {} : { before }),
    });
    return {
      status: 200,
      body: {
        channel,
        epoch: result.epoch,
        offset: result.offset,
        publications: result.publications.map(toPublicationWire),
        ...(since === undefined ? {} : { recovered: result.recovered }),
      },
    };
  } catch (err) {
    return brokerDown(err);
  }
}

/**
 * `GET /api/presence?channel=`: who is in a channel, as the protocol's `presence` reply (`{channel, users}`).
 * @param req The request (method already checked).
 * @param context Keys, authenticator, permissions.
 * @returns 200 with the users, or 400/401/403/404/503.
 */
export async function handlePresence(req: http.IncomingMessage, context: ReadsContext): Promise<JsonAnswer> {
  const read = await readRequest(req, context, PRESENCE_PARAMS, 'presence');
  if ('answer' in read) return read.answer;
  try {
    const users = await context.hub.broker.presence(read.channel);
    return {
      status: 200,
      body: {
        channel: read.channel,
        users: users.map((u) => ({
          user: u.user,
          connections: u.connections,
          ...(u.info === undefined || u.info === null ? {} : { info: u.info }),
        })),
      },
    };
  } catch (err) {
    return brokerDown(err);
  }
}

/**
 * The checks both reads share: only known parameters, each once; a caller (an API key, a signed request, a user
 * token as `Authorization: Bearer`, or nobody where anonymous access is on); a channel the caller may read.
 */
async function readRequest(
  req: http.IncomingMessage,
  context: ReadsContext,
  known: readonly string[],
  op: 'history' | 'presence',
): Promise<{ readonly answer: JsonAnswer } | { params: URLSearchParams; channel: string; historySize: number }> {
  req.resume();
  const params = new URL(req.url ?? '/', 'http://switchboard.invalid').searchParams;
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) return { answer: invalid(`Unknown parameter: use ${known.join(', ')}`) };
    if (params.getAll(name).length > 1) return { answer: invalid(`Give ${name} once`) };
  }
  const channel = params.get('channel');
  if (channel === null) return { answer: invalid('Missing channel') };
  let caller: Caller | { answer: JsonAnswer };
  try {
    caller = await callerOf(req, context);
  } catch (err) {
    return { answer: brokerDown(err) };
  }
  if ('answer' in caller) return caller;
  if (caller.kind === 'key') {
    const resolved = context.namespaces.resolve(channel);
    if (!resolved.ok)
      return {
        answer:
          resolved.code === 'not_found'
            ? { status: 404, body: { error: ErrorCode.NOT_FOUND, message: 'Unknown namespace' } }
            : invalid('Invalid channel name'),
      };
    const enabled = op === 'history' ? resolved.config.historySize > 0 : resolved.config.presence;
    if (!enabled) return { answer: notAvailable(op) };
    return { params, channel, historySize: resolved.config.historySize };
  }
  const allowed = context.permissions.can(caller.identity, op, channel);
  if (allowed.ok) return { params, channel, historySize: allowed.config.historySize };
  switch (allowed.code) {
    case 'invalid_message':
      return { answer: invalid('Invalid channel name') };
    case 'not_found':
      return { answer: { status: 404, body: { error: ErrorCode.NOT_FOUND, message: 'Unknown namespace' } } };
    case 'not_available':
      return { answer: notAvailable(op) };
    default:
      return {
        answer: caller.identity.anonymous
          ? unauthorized(`Cannot read the ${op} of ${channel} anonymously: a token is required`)
          : { status: 403, body: { error: ErrorCode.FORBIDDEN, message: `Cannot read the ${op} of ${channel}` } },
      };
  }
}

async function callerOf(req: http.IncomingMessage, context: ReadsContext): Promise<Caller | { answer: JsonAnswer }> {
  if (context.signatures !== null && isSignedRequest(req)) {
    // A signed GET signs the empty body (docs/webhooks.md "Signed API requests").
    const refused = checkSignedRequest(req, Buffer.alloc(0), context.signatures);
    return refused === null ? { kind: 'key' } : { answer: refused };
  }
  const key = context.keys.check(req);
  if (key === 'ok') return { kind: 'key' };
  const apiKeyHeader = req.headers['x-api-key'];
  if (key === 'invalid' && typeof apiKeyHeader === 'string' && req.headers.authorization === undefined)
    return { answer: { status: 403, body: { error: ErrorCode.FORBIDDEN, message: 'Invalid API key' } } };
  // Not an API key: an end user, refused from a denied address as at the WebSocket handshake (docs/moderation.md).
  if (context.hub.moderation.isDeniedRequest(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']))
    return { answer: { status: 403, body: { error: ErrorCode.FORBIDDEN, message: 'This address is not allowed' } } };
  // A bearer credential is a user token, none at all is anonymous where the server allows it.
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' ? (/^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth)?.[1] ?? '') : null;
  if (token === '' || (token !== null && token.length > Limits.MAX_TOKEN_LENGTH))
    return { answer: unauthorized('Malformed Authorization header: use Bearer <API key or token>') };
  const result = await context.authenticator.authenticate(token);
  if (result.ok) {
    // A banned user cannot connect, so cannot read over the protocol either.
    if (!result.identity.anonymous && (await context.hub.broker.isBanned(result.identity.user)) !== null)
      return { answer: { status: 403, body: { error: ErrorCode.FORBIDDEN, message: 'The user is banned' } } };
    return { kind: 'user', identity: result.identity };
  }
  if (token === null) return { answer: unauthorized('An API key or a token is required') };
  return {
    answer: {
      status: 401,
      body: {
        error: result.failure.code === 'token_expired' ? ErrorCode.TOKEN_EXPIRED : ErrorCode.UNAUTHORIZED,
        message: `Token refused: ${result.failure.reason}`,
      },
      headers: { 'WWW-Authenticate': 'Bearer' },
    },
  };
}

function unauthorized(message: string): JsonAnswer {
  return { status: 401, body: { error: ErrorCode.UNAUTHORIZED, message }, headers: { 'WWW-Authenticate': 'Bearer' } };
}

function notAvailable(op: 'history' | 'presence'): JsonAnswer {
  return {
    status: 404,
    body: { error: ErrorCode.NOT_AVAILABLE, message: `The namespace keeps no ${op}` },
  };
}

function brokerDown(err: unknown): JsonAnswer {
  if (!(err instanceof BrokerError)) throw err;
  return {
    status: 503,
    body: { error: ErrorCode.BROKER_UNAVAILABLE, message: 'The message broker is unavailable' },
    headers: { 'Retry-After': '1' },
  };
}

/** A query integer within bounds: undefined when absent, 'invalid' for anything but plain decimal digits in range. */
function wholeNumber(text: string | null, min: number, max: number): number | undefined | 'invalid' {
  if (text === null) return undefined;
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(text)) return 'invalid';
  const n = Number(text);
  return n >= min && n <= max ? n : 'invalid';
}

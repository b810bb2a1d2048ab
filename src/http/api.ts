// HTTP: the JSON API (publish, stats) and its guards: API keys compared in constant time, bounded bodies, strict types.
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { BrokerError } from '../broker/index.ts';
import {
  apiSignedPayload,
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  type SignatureReplayGuard,
  verifySignature,
} from '../integrations/index.ts';
import { checkJsonValue, isValidChannelName, Limits, type JsonValue } from '../messages/index.ts';
import { InvalidPayloadError, type RealtimeServer } from '../realtime/index.ts';
import { DEFAULT_MAX_BATCH_ITEMS, publishBatch } from './batch-publish.ts';

/** A finished HTTP answer. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/**
 * Sends a JSON answer. Error answers close the connection so that an unread body cannot be taken for the next request.
 * @param res The response.
 * @param answer Status, body and extra headers.
 * @param extra Headers added by the caller (CORS).
 */
export function sendJson(res: http.ServerResponse, answer: JsonAnswer, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(answer.status >= 400 ? { Connection: 'close' } : {}),
    ...extra,
    ...answer.headers,
  });
  res.end(body);
}

/** Checks API keys in constant time (docs/security-cases.md AU-11): every key is compared, by SHA-256 digest so lengths do not leak. */
export class ApiKeys {
  readonly #digests: Buffer[];

  /** @param keys The configured keys. */
  constructor(keys: readonly string[]) {
    this.#digests = keys.map((k) => createHash('sha256').update(k).digest());
  }

  /** Whether any key is configured. */
  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * Reads `Authorization: Bearer <key>` or `X-API-Key: <key>`.
   * @param req The request.
   * @returns 'ok', 'missing' or 'invalid'.
   */
  check(req: http.IncomingMessage): 'ok' | 'missing' | 'invalid' {
    let presented: string | undefined;
    const auth = req.headers.authorization;
    if (typeof auth === 'string') presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth)?.[1];
    const header = req.headers['x-api-key'];
    if (presented === undefined && typeof header === 'string' && header !== '') presented = header;
    if (presented === undefined) return 'missing';
    const digest = createHash('sha256').update(presented).digest();
    let match = false;
    for (const d of this.#digests) match = timingSafeEqual(d, digest) || match;
    return match ? 'ok' : 'invalid';
  }
}

/** Why a body could not be read. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads a request body up to `maxBytes`, refusing early on `Content-Length` and while streaming.
 * @param req The request.
 * @param maxBytes The cap.
 * @returns The body.
 * @throws {BodyError} 413 beyond the cap, 400 when the client aborts.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyError(413, `Body larger than ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new BodyError(413, `Body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('aborted', () => reject(new BodyError(400, 'Body aborted')));
    req.once('error', () => reject(new BodyError(400, 'Body unreadable')));
  });
}

/** Whether a `Content-Type` is `application/json` (with no charset but UTF-8). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8');
}

/**
 * Signed API requests: `Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.METHOD.target.body">` made with
 * the API secret, accepted instead of an API key (docs/webhooks.md "Signed API requests").
 */
export interface ApiSignatures {
  /** The API secret, or several during a rotation. */
  readonly secrets: string | readonly string[];
  /** Remembers accepted signatures for the window, to refuse replays. */
  readonly replays: SignatureReplayGuard;
  /** @default 300 */
  readonly toleranceSec?: number;
}

/**
 * Whether a request authenticates with a signature: it carries `Switchboard-Signature` and no API key (a key, when
 * present, is what is checked).
 * @param req The request.
 */
export function isSignedRequest(req: http.IncomingMessage): boolean {
  return (
    req.headers['switchboard-signature'] !== undefined &&
    req.headers.authorization === undefined &&
    req.headers['x-api-key'] === undefined
  );
}

/** Options of the API handlers. */
export interface ApiOptions {
  readonly keys: ApiKeys;
  readonly maxBodyBytes: number;
  /** Signed requests, when an API secret is configured. @default null: only API keys */
  readonly signatures?: ApiSignatures | null;
  /** Largest batch of `POST /api/publish` with an array. @default 100 ({@link DEFAULT_MAX_BATCH_ITEMS}) */
  readonly maxBatchItems?: number;
}

/**
 * Checks a signed request once its body is read: the signature over `t.METHOD.target.body`, its age, and that it
 * was not accepted before (a replay inside the window).
 * @returns null when accepted, else the answer: 401 with `reason` (`malformed`, `stale`, `mismatch`, `replayed`),
 *   or 503 when the memory of accepted signatures is full (refusing is safer than forgetting one).
 */
export function checkSignedRequest(
  req: http.IncomingMessage,
  raw: Buffer,
  signatures: ApiSignatures,
): JsonAnswer | null {
  const header = req.headers['switchboard-signature'] ?? '';
  const payload = apiSignedPayload(req.method ?? 'GET', req.url ?? '/', raw);
  // Node joins repeated custom headers into one value; an array would be two copies: refused as malformed.
  const check = verifySignature(signatures.secrets, typeof header === 'string' ? header : ',', payload, {
    toleranceSec: signatures.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC,
  });
  const refuse = (reason: string): JsonAnswer => ({
    status: 401,
    body: { error: 'unauthorized', reason, message: `Signature refused: ${reason}` },
  });
  if (!check.ok) return refuse(check.reason);
  const seen = signatures.replays.accept(check.signature, check.timestampSec);
  if (seen === 'replayed') return refuse('replayed');
  if (seen === 'full')
    return {
      status: 503,
      body: {
        error: 'unavailable',
        reason: 'replay_memory_full',
        message: 'Too many signed requests in the window; retry later or use an API key',
      },
      headers: { 'Retry-After': '1' },
    };
  return null;
}

/**
 * The guards every API call shares: an API key, `application/json`, a bounded body, strict UTF-8 JSON within the
 * depth limit, an object with only the allowed fields.
 * @returns The body, or the error answer to send.
 */
export async function readApiObject(
  req: http.IncomingMessage,
  options: ApiOptions,
  fields: readonly string[],
): Promise<{ readonly body: Record<string, unknown> } | { readonly answer: JsonAnswer }> {
  const read = await readApiJson(req, options);
  return 'answer' in read ? read : checkApiObject(read.value, fields);
}

/** Whether a parsed body is an object with only the allowed fields. */
function checkApiObject(
  value: unknown,
  fields: readonly string[],
): { readonly body: Record<string, unknown> } | { readonly answer: JsonAnswer } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { answer: { status: 400, body: { error: 'invalid_message', message: 'Expected an object' } } };
  const body = value as Record<string, unknown>;
  for (const k of Object.keys(body)) {
    if (!fields.includes(k))
      return { answer: { status: 400, body: { error: 'invalid_message', message: 'Unknown field' } } };
  }
  return { body };
}

/**
 * The guards of {@link readApiObject} up to the parsed JSON value (any JSON: an object, or an array for a batch).
 * @returns The value, or the error answer to send.
 */
async function readApiJson(
  req: http.IncomingMessage,
  options: ApiOptions,
): Promise<{ readonly value: unknown } | { readonly answer: JsonAnswer }> {
  const signatures = options.signatures ?? null;
  const signed = signatures !== null && isSignedRequest(req);
  const key = signed ? 'ok' : options.keys.check(req);
  if (key !== 'ok') {
    req.resume();
    return {
      answer:
        key === 'missing'
          ? {
              status: 401,
              body: { error: 'unauthorized', message: 'An API key is required' },
              headers: { 'WWW-Authenticate': 'Bearer' },
            }
          : { status: 403, body: { error: 'forbidden', message: 'Invalid API key' } },
    };
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    req.resume();
    return { answer: { status: 415, body: { error: 'unsupported_media_type', message: 'Send application/json' } } };
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, options.maxBodyBytes);
  } catch (err) {
    const status = err instanceof BodyError ? err.status : 400;
    return {
      answer: {
        status,
        body: {
          error: status === 413 ? 'too_large' : 'bad_request',
          message: err instanceof Error ? err.message : 'Bad body',
        },
      },
    };
  }
  if (signed) {
    const refused = checkSignedRequest(req, raw, signatures);
    if (refused !== null) return { answer: refused };
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { answer: { status: 400, body: { error: 'bad_request', message: 'Invalid JSON' } } };
  }
  const unsafe = checkJsonValue(value, Limits.MAX_DEPTH);
  if (unsafe !== null) return { answer: { status: 400, body: { error: 'bad_request', message: unsafe } } };
  return { value };
}

/**
 * `POST /api/publish` with `{"channel": "...", "data": <any JSON>, "id"?: "..."}`, or a batch: a JSON array of such
 * objects (each may also carry a feed `key`), published one by one (src/http/batch-publish.ts).
 * @param req The request (method already checked).
 * @param hub The real-time server.
 * @param options Keys, body cap and batch size.
 * @returns The answer: 200 with the position (a batch: `{results}`, one per item), or 400/401/403/404/413/415/503.
 */
export async function handlePublish(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const json = await readApiJson(req, options);
  if ('answer' in json) return json.answer;
  if (Array.isArray(json.value)) return publishBatch(json.value, hub, options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS);
  const read = checkApiObject(json.value, ['channel', 'data', 'id']);
  if ('answer' in read) return read.answer;
  const body = read.body;
  if (!isValidChannelName(body['channel']))
    return { status: 400, body: { error: 'invalid_message', message: 'Invalid channel name' } };
  if (!Object.hasOwn(body, 'data')) return { status: 400, body: { error: 'invalid_message', message: 'Missing data' } };
  const id = body['id'];
  if (id !== undefined && (typeof id !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(id)))
    return { status: 400, body: { error: 'invalid_message', message: 'Invalid id' } };
  try {
    // No `onPublish` here: a caller of the API holds the API key, i.e. it is the application's backend itself.
    const result = await hub.publish(body['channel'], body['data'] as JsonValue, id === undefined ? {} : { id });
    return {
      status: 200,
      body: { channel: body['channel'], epoch: result.epoch, offset: result.offset, duplicate: result.duplicate },
    };
  } catch (err) {
    if (err instanceof InvalidPayloadError)
      return { status: 400, body: { error: 'invalid_message', message: err.message } };
    if (err instanceof RangeError) return { status: 404, body: { error: 'not_found', message: 'Unknown namespace' } };
    if (err instanceof BrokerError)
      return {
        status: 503,
        body: { error: 'broker_unavailable', message: 'The message broker is unavailable' },
        headers: { 'Retry-After': '1' },
      };
    throw err;
  }
}

/**
 * `POST /api/disconnect` with `{"user": "..."}`: closes every connection of the user on every node (logout, ban;
 * docs/security-cases.md AU-09) with 4504 and `reconnect: false`.
 * @param req The request (method already checked).
 * @param hub The real-time server.
 * @param options Keys and body cap.
 * @returns 200 `{"user", "disconnected"}` (this node's count; other nodes close theirs when the signal arrives),
 *   or 400/401/403/413/415, or 503 when the broker cannot reach the other nodes (this node's are closed anyway).
 */
export async function handleDisconnect(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const read = await readApiObject(req, options, ['user']);
  if ('answer' in read) return read.answer;
  const user = read.body['user'];
  if (typeof user !== 'string' || user.length === 0 || user.length > Limits.MAX_USER_LENGTH) {
    return { status: 400, body: { error: 'invalid_message', message: 'Invalid user' } };
  }
  try {
    return { status: 200, body: { user, disconnected: await hub.revokeUser(user) } };
  } catch (err) {
    if (err instanceof BrokerError)
      return {
        status: 503,
        body: { error: 'broker_unavailable', message: 'The other nodes could not be reached' },
        headers: { 'Retry-After': '1' },
      };
    throw err;
  }
}

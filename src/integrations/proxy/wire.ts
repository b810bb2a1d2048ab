// Integrations/proxy: the JSON exchanged with the backend (docs/backend-proxy.md): the request body built from a
// hook's context, and the answer checked strictly and turned into the hook's decision. An answer that does not
// follow the contract is never read as "allow": a backend that meant to refuse must not let a call through by
// misspelling a field.
import { checkJsonValue, exceedsJsonDepth, type JsonValue, Limits } from '../../messages/index.ts';
import { type LogicCaller, REFUSAL_CODES, type Refusal, type RefusalCode } from '../../realtime/index.ts';

/** The calls the proxy forwards, as named in the request body's `request` field. */
export type ProxyRequestKind = 'connect' | 'refresh' | 'subscribe' | 'publish' | 'rpc';

/** Every {@link ProxyRequestKind}, for metric labels and health. */
export const PROXY_REQUEST_KINDS: readonly ProxyRequestKind[] = ['connect', 'refresh', 'subscribe', 'publish', 'rpc'];

/** Longest refusal message passed to the client, in characters (the protocol's limit on an error message). */
export const MAX_REFUSAL_MESSAGE_LENGTH = 256;

/** The message a refusal carries when the backend gave none. */
const DEFAULT_REFUSAL_MESSAGE = 'Refused by the application';

/** Fields of `result` each kind accepts; anything else makes the answer invalid. */
const RESULT_FIELDS: Readonly<Record<ProxyRequestKind, ReadonlySet<string>>> = {
  connect: new Set(['info']),
  refresh: new Set(['info']),
  subscribe: new Set(),
  publish: new Set(['data']),
  rpc: new Set(['data']),
};

/**
 * The request body: the kind, the request id, the caller, and the call's own fields.
 * @param kind what is asked
 * @param id the request id (also in the `Switchboard-Request-Id` header)
 * @param caller who asks
 * @param fields `channel`, `namespace`, `data`, `method`, `expiresAt`, as the kind has them
 * @returns the JSON text that is signed and sent
 */
export function requestBody(
  kind: ProxyRequestKind,
  id: string,
  caller: LogicCaller,
  fields: Readonly<Record<string, unknown>>,
): string {
  return JSON.stringify({
    request: kind,
    id,
    client: caller.client,
    user: caller.user,
    anonymous: caller.anonymous,
    roles: caller.roles,
    info: caller.info,
    remoteAddress: caller.remoteAddress,
    transport: caller.transport,
    ...fields,
  });
}

/** A backend answer read according to the contract. */
export type Answer =
  | { readonly ok: true; readonly refusal: Refusal }
  | { readonly ok: true; readonly refusal: null; readonly info?: Record<string, unknown>; readonly data?: JsonValue }
  | { readonly ok: false; readonly reason: string };

const invalid = (reason: string): Answer => ({ ok: false, reason });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a 2xx answer body.
 * @param kind what was asked (decides which `result` fields are allowed)
 * @param body the bytes received
 * @returns the refusal, or the allowed result's `info`/`data`, or why the answer breaks the contract (never echoing
 *   the body: it may hold anything)
 */
export function readAnswer(kind: ProxyRequestKind, body: Buffer): Answer {
  const text = body.toString('utf8');
  // The answer's data lands in a publication or reply: the same nesting bound as a client's message, one level
  // more for the answer's own envelope (`{"result":{"data":…}}` against `{"type":"publish","data":…}`).
  if (exceedsJsonDepth(text, Limits.MAX_DEPTH + 1)) return invalid('the answer is nested too deep');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('the answer is not JSON');
  }
  if (!isPlainObject(value)) return invalid('the answer is not a JSON object');
  const unsafe = checkJsonValue(value, Limits.MAX_DEPTH + 1);
  if (unsafe !== null) return invalid(`the answer is not plain JSON data (${unsafe})`);
  for (const key of Object.keys(value)) {
    if (key !== 'result' && key !== 'error') return invalid(`the answer has an unknown field "${key.slice(0, 32)}"`);
  }
  const { result, error } = value;
  if (error !== undefined) {
    if (result !== undefined) return invalid('the answer has both "result" and "error"');
    if (!isPlainObject(error)) return invalid('"error" is not an object');
    const { code, message } = error;
    if (typeof code !== 'string' || !REFUSAL_CODES.has(code))
      return invalid(`"error.code" is not one of ${[...REFUSAL_CODES].join(', ')}`);
    if (message !== undefined && typeof message !== 'string') return invalid('"error.message" is not a string');
    for (const key of Object.keys(error)) {
      if (key !== 'code' && key !== 'message') return invalid(`"error" has an unknown field "${key.slice(0, 32)}"`);
    }
    const text = message === undefined || message === '' ? DEFAULT_REFUSAL_MESSAGE : message;
    return {
      ok: true,
      refusal: { refuse: { code: code as RefusalCode, message: text.slice(0, MAX_REFUSAL_MESSAGE_LENGTH) } },
    };
  }
  if (result === undefined) return { ok: true, refusal: null };
  if (!isPlainObject(result)) return invalid('"result" is not an object');
  const allowed = RESULT_FIELDS[kind];
  for (const key of Object.keys(result)) {
    if (!allowed.has(key)) return invalid(`"result" of a ${kind} request has an unknown field "${key.slice(0, 32)}"`);
  }
  if (result['info'] !== undefined) {
    if (!isPlainObject(result['info'])) return invalid('"result.info" is not an object');
    return { ok: true, refusal: null, info: result['info'] };
  }
  if (Object.hasOwn(result, 'data')) return { ok: true, refusal: null, data: result['data'] as JsonValue };
  return { ok: true, refusal: null };
}

// Realtime: the shapes the server logic may answer with, checked before anything is done with an answer: a refusal
// `{ refuse: { code, message } }`, `{ info }`, `{ data }`, or nothing. Anything else is garbage (answered `internal`).
import { checkJsonValue, Limits, utf8Length, type ErrorCode } from '../messages/index.ts';
import type { RefusalCode } from './logic.ts';

/** Every code a `Refusal` may carry: any other code makes the answer garbage. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set<RefusalCode>([
  'forbidden',
  'not_found',
  'invalid_message',
  'not_available',
  'rate_limited',
  'unauthorized',
  'too_large',
  'backend_unavailable',
]);

/**
 * Largest presence info a hook may attach, as JSON bytes: what a token could have carried in its info claim
 * (`Limits.MAX_TOKEN_LENGTH`), so presence entries stay as small as they are without logic.
 */
export const MAX_LOGIC_INFO_BYTES = Limits.MAX_TOKEN_LENGTH;

/**
 * Deepest value a hook may hand back (replaced publication data, attached info, an RPC reply's data): the depth a
 * client's own `data` may have (the envelope takes one level of `Limits.MAX_DEPTH`), so whatever the logic answers
 * fits in every server message that carries it.
 */
const MAX_LOGIC_VALUE_DEPTH = Limits.MAX_DEPTH - 1;

/** An `error` to answer: a refusal's code and message, or the runner's own (`internal`, `not_found`, `too_large`). */
export interface RefusalOutcome {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

/** An answer of the right shape (its value) or garbage (why, for the logs). */
export type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** A well-formed refusal, as the `error` to answer. */
export type Refused = { readonly refuse: RefusalOutcome };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Keys of a plain object beyond `allowed`, as a description, or null when there are none. */
function extraKeys(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  return extra.length === 0 ? null : `an object with unexpected key(s) ${extra.slice(0, 3).join(', ')}`;
}

/** A `{ refuse: { code, message } }` answer (a refusal, or garbage when malformed), or null when it is none. */
function checkRefusal(value: Record<string, unknown>): Refused | Checked | null {
  if (!('refuse' in value)) return null;
  const extra = extraKeys(value, ['refuse']);
  if (extra !== null) return { ok: false, message: `a refusal with ${extra}` };
  const refuse = value['refuse'];
  if (!isPlainObject(refuse)) return { ok: false, message: 'a refusal that is not { code, message }' };
  const { code, message } = refuse;
  if (typeof code !== 'string' || !REFUSAL_CODES.has(code))
    return { ok: false, message: 'a refusal whose code is not a RefusalCode' };
  if (typeof message !== 'string') return { ok: false, message: 'a refusal whose message is not a string' };
  return {
    refuse: { ok: false, code: code as ErrorCode, message: message.slice(0, Limits.MAX_REASON_LENGTH) },
  };
}

/** `undefined`/`null` (accept), `{ info? }` (accept, attach info) or a refusal. The value is the info or null. */
export function checkConnectAnswer(value: unknown): Checked | Refused {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (!isPlainObject(value)) return { ok: false, message: `a ${describe(value)}, not { info } or a refusal` };
  const refusal = checkRefusal(value);
  if (refusal !== null) return refusal;
  const extra = extraKeys(value, ['info']);
  if (extra !== null) return { ok: false, message: extra };
  const info = value['info'];
  if (info === undefined) return { ok: true, value: null };
  if (!isPlainObject(info)) return { ok: false, message: 'info that is not a plain object' };
  const bad = checkJsonValue(info, MAX_LOGIC_VALUE_DEPTH);
  if (bad !== null) return { ok: false, message: `info that is not JSON data (${bad})` };
  if (utf8Length(JSON.stringify(info)) > MAX_LOGIC_INFO_BYTES)
    return { ok: false, message: `info larger than ${MAX_LOGIC_INFO_BYTES} bytes` };
  return { ok: true, value: info };
}

/** `undefined`/`null`/`{}` (accept) or a refusal. */
export function checkSubscribeAnswer(value: unknown): Checked | Refused {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (!isPlainObject(value)) return { ok: false, message: `a ${describe(value)}, not {} or a refusal` };
  const refusal = checkRefusal(value);
  if (refusal !== null) return refusal;
  const extra = extraKeys(value, []);
  return extra === null ? { ok: true, value: undefined } : { ok: false, message: extra };
}

/**
 * `{ data? }` or a refusal (`onPublish`, RPC); `undefined`/`null` mean "as is" for `onPublish` and "empty reply" for
 * an in-process handler when `emptyAllowed`. The value is the data, undefined when none.
 */
export function checkDataAnswer(value: unknown, emptyAllowed: boolean): Checked | Refused {
  if (emptyAllowed && (value === undefined || value === null)) return { ok: true, value: undefined };
  if (!isPlainObject(value)) return { ok: false, message: `a ${describe(value)}, not { data } or a refusal` };
  const refusal = checkRefusal(value);
  if (refusal !== null) return refusal;
  const extra = extraKeys(value, ['data']);
  if (extra !== null) return { ok: false, message: extra };
  const data = value['data'];
  if (data === undefined) return { ok: true, value: undefined };
  const bad = checkJsonValue(data, MAX_LOGIC_VALUE_DEPTH);
  return bad === null ? { ok: true, value: data } : { ok: false, message: `data that is not JSON data (${bad})` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'non-plain object' : typeof value;
}

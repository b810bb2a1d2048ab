// Realtime: per-namespace payload schemas (JSON Schema, compiled once by ajv) and the bounded reason a refusal gives.
import { Ajv, type ErrorObject } from 'ajv';

/** A JSON Schema document as written in a namespace's configuration (an object; `true`/`false` schemas are not useful here). */
export type PayloadSchema = Readonly<Record<string, unknown>>;

/**
 * Checks one publication's `data` against its namespace's schema.
 * @returns null when the data conforms, else a bounded reason naming the failing path and rule
 */
export type PayloadValidator = (data: unknown) => string | null;

/** Longest instance path quoted in a refusal, in characters: a path is made of the client's own keys. */
const MAX_PATH_CHARS = 96;
/** Longest rule text quoted in a refusal, in characters (a `pattern` rule quotes the configured pattern). */
const MAX_RULE_CHARS = 120;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8 on the wire.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The refusal text of ajv's first error: `data/text: must NOT have more than 500 characters (maxLength)`. ajv's
 * messages name the rule and its limit, never the value; the path is clipped because its keys come from the client.
 * @param error ajv's first error
 * @returns at most about 240 characters, under the protocol's reason limit (256)
 */
export function describePayloadError(error: ErrorObject): string {
  const path = clip(`data${error.instancePath}`, MAX_PATH_CHARS);
  const rule = clip(`${error.message ?? 'is invalid'} (${error.keyword})`, MAX_RULE_CHARS);
  return `${path}: ${rule}`;
}

/**
 * Compiles a namespace's payload schema once, at startup. ajv runs in strict mode (unknown keywords, formats and
 * ambiguous types are schema errors), stops at the first error (`allErrors: false`: the reply names one problem and
 * a hostile payload cannot make validation collect thousands), has no `$data` references and no remote `$ref`
 * loading (compile is synchronous; an unresolved reference is a schema error).
 * @param namespace the namespace, for the error message
 * @param schema the JSON Schema object
 * @returns the validator
 * @throws RangeError naming the namespace when the schema is not a JSON object or does not compile
 * @example
 * ```ts
 * const validate = compilePayloadSchema('chat', { type: 'object', properties: { text: { type: 'string', maxLength: 500 } } });
 * validate({ text: 'hi' }); // null
 * ```
 */
export function compilePayloadSchema(namespace: string, schema: unknown): PayloadValidator {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw new RangeError(`Cannot use ${namespace}.payloadSchema: expected a JSON Schema object`);
  // One instance per namespace: two namespaces may use the same `$id` without colliding in a shared cache.
  const ajv = new Ajv({ allErrors: false, $data: false, strict: true, addUsedSchema: false, messages: true });
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new RangeError(`Cannot use ${namespace}.payloadSchema: ${clip(detail, 300)}`, { cause: err });
  }
  return (data) => {
    if (validate(data)) return null;
    const first = validate.errors?.[0];
    return first === undefined ? 'data: does not match the namespace schema' : describePayloadError(first);
  };
}

/** A server-side publish (`RealtimeServer#publish`, the HTTP API) whose data breaks its namespace's payload schema. */
export class InvalidPayloadError extends Error {
  /** The protocol error code the refusal maps to. */
  readonly code = 'invalid_message';

  /** @param reason the bounded reason from the validator (`data/text: must NOT have ...`) */
  constructor(reason: string) {
    super(`Cannot publish: ${reason}`);
    this.name = 'InvalidPayloadError';
  }
}

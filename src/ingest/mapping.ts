// Ingest: what one connector does with a message, compiled from its configuration: the channel and key templates,
// the codec, the size limit, and how the source's subject splits into tokens.
import { z } from 'zod';
import { PAYLOAD_CODECS, type PayloadCodec } from './codecs.ts';
import { compileTemplate, type Template, TemplateError } from './templates.ts';

/** Largest payload a mapping accepts by default, in bytes: a price tick or sensor reading is far smaller, and a
 * payload larger than a client's maximum message would be published to nobody. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 65_536;
/** Upper bound of `maxPayloadBytes`: 16 MiB, beyond which one message would crowd a broker's history. */
export const MAX_PAYLOAD_BYTES_LIMIT = 16 * 1024 * 1024;

/** A connector name: used in idempotency keys, metric labels and `/health`. */
export const CONNECTOR_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A template field of the configuration: compiled during validation so a bad one names its place. */
const templateText = z.string({ error: 'expected a template string' }).superRefine((text, ctx) => {
  try {
    compileTemplate(text);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** The mapping fields of one `ingest` entry (the `source` object is checked by its kind's schema). */
export const MappingOptionsSchema = z.strictObject({
  name: z.string({ error: 'expected a name' }).regex(CONNECTOR_NAME, { error: 'expected 1-64 of A-Z a-z 0-9 _ -' }),
  channel: templateText,
  key: templateText.optional(),
  codec: z.enum(PAYLOAD_CODECS, { error: `expected one of ${PAYLOAD_CODECS.join(', ')}` }).default('json'),
  maxPayloadBytes: z
    .number({ error: 'expected a number of bytes' })
    .int({ error: 'expected an integer' })
    .min(1, { error: 'expected at least 1' })
    .max(MAX_PAYLOAD_BYTES_LIMIT, { error: `expected at most ${MAX_PAYLOAD_BYTES_LIMIT}` })
    .default(DEFAULT_MAX_PAYLOAD_BYTES),
});
export type MappingOptionsInput = z.input<typeof MappingOptionsSchema>;

/** A mapping ready to apply. */
export interface Mapping {
  readonly name: string;
  readonly channel: Template;
  readonly key: Template | null;
  readonly codec: PayloadCodec;
  readonly maxPayloadBytes: number;
  /** How subject tokens are separated for `{subject.N}`: `/` for MQTT topics, `.` otherwise. */
  readonly separator: string;
}

/**
 * Compiles a mapping.
 * @param options Validated or hand-written mapping options.
 * @param kind The source kind (MQTT topics split on `/`).
 * @returns The mapping.
 * @throws {TemplateError} For a malformed template; {@link z.ZodError} for other invalid options.
 */
export function compileMapping(options: MappingOptionsInput, kind: string): Mapping {
  const o = MappingOptionsSchema.parse(options);
  return {
    name: o.name,
    channel: compileTemplate(o.channel),
    key: o.key === undefined ? null : compileTemplate(o.key),
    codec: o.codec,
    maxPayloadBytes: o.maxPayloadBytes,
    separator: kind === 'mqtt' ? '/' : '.',
  };
}

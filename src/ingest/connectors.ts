// Ingest: the `ingest` configuration (a list of connectors: mapping fields plus a `source` object checked by its
// kind's schema) and building the connectors it describes.
import { z } from 'zod';
import { SOURCE_KINDS } from './kinds.ts';
import { compileMapping, MappingOptionsSchema } from './mapping.ts';
import type { IngestConnector } from './runner.ts';

/** At most this many connectors per server: each holds a connection to its system. */
export const MAX_CONNECTORS = 64;

/** One `ingest` entry: `{ name, source: { kind, ... }, channel, key?, codec?, maxPayloadBytes? }`. */
export const IngestEntrySchema = MappingOptionsSchema.extend({
  source: z.looseObject({ kind: z.string({ error: 'expected a source kind' }) }, { error: 'expected an object' }),
}).superRefine((entry, ctx) => {
  const kind = SOURCE_KINDS[entry.source.kind];
  if (kind === undefined || !Object.hasOwn(SOURCE_KINDS, entry.source.kind)) {
    ctx.addIssue({
      code: 'custom',
      path: ['source', 'kind'],
      message: `expected one of ${Object.keys(SOURCE_KINDS).join(', ')}`,
    });
    return;
  }
  const parsed = kind.schema.safeParse(entry.source);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', path: ['source', ...issue.path], message: issue.message });
});
export type IngestEntry = z.output<typeof IngestEntrySchema>;
export type IngestEntryInput = z.input<typeof IngestEntrySchema>;

/** The `ingest` list: unique names. */
export const IngestConfigSchema = z
  .array(IngestEntrySchema, { error: 'expected a list of connectors' })
  .max(MAX_CONNECTORS, { error: `expected at most ${MAX_CONNECTORS} connectors` })
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name ${e.name}` });
      seen.add(e.name);
    });
  });

/**
 * Builds the connectors of validated `ingest` entries (sources are created, not started).
 * @param entries Entries that passed {@link IngestConfigSchema}.
 * @returns One connector per entry.
 */
export function createConnectors(entries: readonly IngestEntryInput[]): IngestConnector[] {
  return IngestConfigSchema.parse(entries).map((entry) => {
    const { source, ...mapping } = entry;
    const kind = SOURCE_KINDS[source.kind]!;
    return { mapping: compileMapping(mapping, source.kind), source: kind.create(entry.name, source) };
  });
}

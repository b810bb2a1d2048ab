// CLI config: the zod schema of one namespace (the user-facing form of the realtime layer's `NamespaceConfig`).
import { z } from 'zod';
import { NAMESPACE_DEFAULTS, type NamespaceConfig } from '../../realtime/index.ts';
import { bool, nonNegInt, posInt, roleList, text } from './schema-values.ts';

/** One namespace: the user-facing form of the realtime layer's `NamespaceConfig`, with defaults. */
export const NamespaceConfigSchema = z
  .strictObject({
    historySize: nonNegInt(1_000_000).default(NAMESPACE_DEFAULTS.historySize),
    historyTtlMs: posInt().default(NAMESPACE_DEFAULTS.historyTtlMs),
    recoverOnJoin: nonNegInt(1000).default(NAMESPACE_DEFAULTS.recoverOnJoin),
    presence: bool().default(NAMESPACE_DEFAULTS.presence),
    joinLeave: bool().default(NAMESPACE_DEFAULTS.joinLeave),
    allowClientPublish: bool().default(NAMESPACE_DEFAULTS.allowClientPublish),
    typing: bool().default(NAMESPACE_DEFAULTS.typing),
    roles: z
      .strictObject({
        subscribe: roleList.optional(),
        publish: roleList.optional(),
        history: roleList.optional(),
        presence: roleList.optional(),
        typing: roleList.optional(),
        send: roleList.optional(),
      })
      .default({}),
    slowConsumerPolicy: z
      .enum(['drop', 'close', 'wait'], { error: 'expected "drop", "close" or "wait"' })
      .default(NAMESPACE_DEFAULTS.slowConsumerPolicy),
    webhookPublications: bool().default(NAMESPACE_DEFAULTS.webhookPublications),
    payloadSchema: z
      .record(z.string(), z.unknown(), { error: 'expected a JSON Schema object or null' })
      .nullable()
      .default(NAMESPACE_DEFAULTS.payloadSchema as null),
    payloadSchemaFile: text('a file path').optional(),
    publishRequiresSubscription: bool().default(NAMESPACE_DEFAULTS.publishRequiresSubscription),
    snapshot: bool().default(NAMESPACE_DEFAULTS.snapshot),
    snapshotMaxKeys: posInt().default(NAMESPACE_DEFAULTS.snapshotMaxKeys),
    conflate: bool().default(NAMESPACE_DEFAULTS.conflate),
    batchPublications: bool().default(NAMESPACE_DEFAULTS.batchPublications),
    batchMaxDelayMs: nonNegInt(60_000).default(NAMESPACE_DEFAULTS.batchMaxDelayMs),
    batchMaxCount: posInt().default(NAMESPACE_DEFAULTS.batchMaxCount),
    document: bool().default(NAMESPACE_DEFAULTS.document),
    documentMaxBytes: posInt().default(NAMESPACE_DEFAULTS.documentMaxBytes),
    documentUpdateMaxBytes: posInt().default(NAMESPACE_DEFAULTS.documentUpdateMaxBytes),
    documentUpdatesPerSecond: posInt().default(NAMESPACE_DEFAULTS.documentUpdatesPerSecond),
    awarenessUpdatesPerSecond: posInt().default(NAMESPACE_DEFAULTS.awarenessUpdatesPerSecond),
    documentsPerConnection: posInt().default(NAMESPACE_DEFAULTS.documentsPerConnection),
    documentIdleUnloadMs: nonNegInt(86_400_000).default(NAMESPACE_DEFAULTS.documentIdleUnloadMs),
    documentHibernateMs: nonNegInt(86_400_000).default(NAMESPACE_DEFAULTS.documentHibernateMs),
    documentCompactUpdates: posInt().default(NAMESPACE_DEFAULTS.documentCompactUpdates),
    documentCompactBytes: posInt().default(NAMESPACE_DEFAULTS.documentCompactBytes),
    documentFanoutBatchMs: z
      .union([nonNegInt(1_000), z.literal('auto')], { error: 'expected an integer from 0 to 1000, or auto' })
      .default(NAMESPACE_DEFAULTS.documentFanoutBatchMs),
  })
  .refine((ns) => ns.payloadSchema === null || ns.payloadSchemaFile === undefined, {
    error: 'set either payloadSchema or payloadSchemaFile, not both',
    path: ['payloadSchemaFile'],
  })
  .refine(
    (ns) =>
      !(Number.isInteger(ns.historySize) && ns.historySize > 0) ||
      !Number.isInteger(ns.recoverOnJoin) ||
      ns.recoverOnJoin <= ns.historySize,
    {
      error: 'expected recoverOnJoin at most historySize',
      path: ['recoverOnJoin'],
    },
  );

// Compile-time check: the zod namespace schema produces what the realtime layer consumes.
const namespaceShapeMatches: (c: z.output<typeof NamespaceConfigSchema>) => NamespaceConfig = (c) => c;
void namespaceShapeMatches;

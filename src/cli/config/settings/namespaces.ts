// CLI config, settings table: the settings of each namespace (history, presence, permissions, feeds, documents).
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, INTEGER_OR_AUTO, BOOLEAN, STRING, ENUM, LIST, JSON_OBJECT } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const NAMESPACE_SETTINGS: readonly Setting[] = [
  s(
    'namespaces.<namespace>.historySize',
    'NAMESPACES__<NAMESPACE>__HISTORY_SIZE',
    INTEGER,
    'Publications kept per channel of the namespace (0: no history).',
  ),
  s(
    'namespaces.<namespace>.historyTtlMs',
    'NAMESPACES__<NAMESPACE>__HISTORY_TTL_MS',
    INTEGER,
    'How long a publication stays in history, in ms.',
  ),
  s(
    'namespaces.<namespace>.recoverOnJoin',
    'NAMESPACES__<NAMESPACE>__RECOVER_ON_JOIN',
    INTEGER,
    'Publications sent to a new subscriber (at most historySize).',
  ),
  s('namespaces.<namespace>.presence', 'NAMESPACES__<NAMESPACE>__PRESENCE', BOOLEAN, 'Track who is in each channel.'),
  s(
    'namespaces.<namespace>.joinLeave',
    'NAMESPACES__<NAMESPACE>__JOIN_LEAVE',
    BOOLEAN,
    'Send join and leave events to subscribers.',
  ),
  s(
    'namespaces.<namespace>.allowClientPublish',
    'NAMESPACES__<NAMESPACE>__ALLOW_CLIENT_PUBLISH',
    BOOLEAN,
    'Let clients publish (false: only POST /api/publish).',
  ),
  s('namespaces.<namespace>.typing', 'NAMESPACES__<NAMESPACE>__TYPING', BOOLEAN, 'Relay typing indicators.'),
  s(
    'namespaces.<namespace>.roles.subscribe',
    'NAMESPACES__<NAMESPACE>__ROLES__SUBSCRIBE',
    LIST,
    'Roles that may subscribe in this namespace (unset: the role table decides).',
  ),
  s(
    'namespaces.<namespace>.roles.publish',
    'NAMESPACES__<NAMESPACE>__ROLES__PUBLISH',
    LIST,
    'Roles that may publish in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.history',
    'NAMESPACES__<NAMESPACE>__ROLES__HISTORY',
    LIST,
    'Roles that may read history in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.presence',
    'NAMESPACES__<NAMESPACE>__ROLES__PRESENCE',
    LIST,
    'Roles that may read presence in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.typing',
    'NAMESPACES__<NAMESPACE>__ROLES__TYPING',
    LIST,
    'Roles that may send typing indicators in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.send',
    'NAMESPACES__<NAMESPACE>__ROLES__SEND',
    LIST,
    'Roles that may send private messages in this namespace.',
  ),
  s(
    'namespaces.<namespace>.slowConsumerPolicy',
    'NAMESPACES__<NAMESPACE>__SLOW_CONSUMER_POLICY',
    ENUM,
    'What happens to a client past limits.sendHighWaterMark: drop its messages, close it, or wait.',
  ),
  s(
    'namespaces.<namespace>.payloadSchema',
    'NAMESPACES__<NAMESPACE>__PAYLOAD_SCHEMA',
    JSON_OBJECT,
    'JSON Schema (ajv, strict) every publish and send payload must match, else `invalid_message` naming the path and rule.',
  ),
  s(
    'namespaces.<namespace>.payloadSchemaFile',
    'NAMESPACES__<NAMESPACE>__PAYLOAD_SCHEMA_FILE',
    STRING,
    'File holding the JSON Schema of payloadSchema, read at start; not together with payloadSchema.',
  ),
  s(
    'namespaces.<namespace>.publishRequiresSubscription',
    'NAMESPACES__<NAMESPACE>__PUBLISH_REQUIRES_SUBSCRIPTION',
    BOOLEAN,
    'Refuse a publish from a connection not subscribed to the channel (`not_subscribed`).',
  ),
  s(
    'namespaces.<namespace>.webhookPublications',
    'NAMESPACES__<NAMESPACE>__WEBHOOK_PUBLICATIONS',
    BOOLEAN,
    'Emit each stored publication as a `publication` webhook event (docs/webhooks.md).',
  ),
  s(
    'namespaces.<namespace>.snapshot',
    'NAMESPACES__<NAMESPACE>__SNAPSHOT',
    BOOLEAN,
    'A subscribe without `since` (or whose recovery failed) gets `subscribed.snapshot`: the latest publication per feed key (docs/feeds.md).',
  ),
  s(
    'namespaces.<namespace>.snapshotMaxKeys',
    'NAMESPACES__<NAMESPACE>__SNAPSHOT_MAX_KEYS',
    INTEGER,
    'Most feed keys per channel kept for the snapshot and held per channel by a conflating connection.',
  ),
  s(
    'namespaces.<namespace>.conflate',
    'NAMESPACES__<NAMESPACE>__CONFLATE',
    BOOLEAN,
    'A connection behind on its socket keeps only the newest publication per key instead of the slow-consumer policy (docs/feeds.md).',
  ),
  s(
    'namespaces.<namespace>.batchPublications',
    'NAMESPACES__<NAMESPACE>__BATCH_PUBLICATIONS',
    BOOLEAN,
    'Send publications to one connection in `publications` frames, several per frame (docs/protocol.md).',
  ),
  s(
    'namespaces.<namespace>.batchMaxDelayMs',
    'NAMESPACES__<NAMESPACE>__BATCH_MAX_DELAY_MS',
    INTEGER,
    'How long the first publication of a batch may wait, in ms; 0 sends at the end of the event-loop turn.',
  ),
  s(
    'namespaces.<namespace>.batchMaxCount',
    'NAMESPACES__<NAMESPACE>__BATCH_MAX_COUNT',
    INTEGER,
    'Most publications in one `publications` frame.',
  ),
  s(
    'namespaces.<namespace>.document',
    'NAMESPACES__<NAMESPACE>__DOCUMENT',
    BOOLEAN,
    'Channels of this namespace are collaborative documents (Yjs, docs/documents.md): `subscribe` opens one, `publish` permission writes it.',
  ),
  s(
    'namespaces.<namespace>.documentMaxBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_MAX_BYTES',
    INTEGER,
    'Largest stored size of one document in bytes; an update past it is refused with `document_too_large`.',
  ),
  s(
    'namespaces.<namespace>.documentUpdateMaxBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_UPDATE_MAX_BYTES',
    INTEGER,
    'Largest document or awareness update from a client in bytes (`message_too_large`).',
  ),
  s(
    'namespaces.<namespace>.documentUpdatesPerSecond',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_UPDATES_PER_SECOND',
    INTEGER,
    'Document updates per second per connection and document, bursts of twice as many (`rate_limited`).',
  ),
  s(
    'namespaces.<namespace>.awarenessUpdatesPerSecond',
    'NAMESPACES__<NAMESPACE>__AWARENESS_UPDATES_PER_SECOND',
    INTEGER,
    'Awareness updates (cursors) per second per connection and document, bursts of twice as many (`rate_limited`).',
  ),
  s(
    'namespaces.<namespace>.documentsPerConnection',
    'NAMESPACES__<NAMESPACE>__DOCUMENTS_PER_CONNECTION',
    INTEGER,
    'Documents of this namespace one connection may have open (`too_many_documents`).',
  ),
  s(
    'namespaces.<namespace>.documentIdleUnloadMs',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_IDLE_UNLOAD_MS',
    INTEGER,
    'How long a document nobody on this node has open stays in memory before it is unloaded, in ms.',
  ),
  s(
    'namespaces.<namespace>.documentHibernateMs',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_HIBERNATE_MS',
    INTEGER,
    'How long after the last update that needed a Y.Doc (one past a gap, or overlapping) an awake document is encoded again (its Y.Doc dropped, its content kept as Yjs updates, which typing appends to without a Y.Doc), and after its last update a typed-in encoded document is compacted into one update, in ms; 1 to 2 times this. 0: a document is always a Y.Doc.',
  ),
  s(
    'namespaces.<namespace>.documentCompactUpdates',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_COMPACT_UPDATES',
    INTEGER,
    'Stored updates after which the document is compacted into one snapshot.',
  ),
  s(
    'namespaces.<namespace>.documentCompactBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_COMPACT_BYTES',
    INTEGER,
    'Stored update bytes after which the document is compacted into one snapshot.',
  ),
  s(
    'namespaces.<namespace>.documentFanoutBatchMs',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_FANOUT_BATCH_MS',
    INTEGER_OR_AUTO,
    'How long a busy document gathers updates before fanning them out, in ms (one write per connection for all); 0: each at once; `auto`: one event-loop turn while the document has at least 8 peers on the node, else at once.',
  ),
];

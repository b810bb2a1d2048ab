// CLI config, settings table: where state lives and how nodes share it: the document store, the broker, worker processes.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN, STRING, ENUM } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const STORAGE_SETTINGS: readonly Setting[] = [
  s(
    'documents.store',
    'DOCUMENTS__STORE',
    ENUM,
    'Where collaborative documents are stored: `memory` (lost on exit), `file` (an append-only log per document under `dir`, locked by one process; the `--dev` default, in ./data/documents), `redis` or `postgres` (shared by every node; required with several nodes or `--workers`).',
  ),
  s('documents.dir', 'DOCUMENTS__DIR', STRING, 'Directory of the `file` store.'),
  s('documents.url', 'DOCUMENTS__URL', STRING, 'Redis URL of the `redis` store; by default the Redis of broker.url.'),
  s('documents.prefix', 'DOCUMENTS__PREFIX', STRING, 'Key prefix of the `redis` store.'),
  s(
    'documents.connectionString',
    'DOCUMENTS__CONNECTION_STRING',
    STRING,
    'PostgreSQL connection string of the `postgres` store.',
  ),
  s('documents.table', 'DOCUMENTS__TABLE', STRING, 'Table name of the `postgres` store.'),
  s(
    'documents.yjsNamespace',
    'DOCUMENTS__YJS_NAMESPACE',
    STRING,
    'Document namespace served to y-websocket clients at `/yjs/<name>` (channel `<namespace>:<name>`); empty: no such endpoint.',
  ),
  s(
    'broker.url',
    'BROKER__URL',
    STRING,
    '`memory:` (one node) or `redis://[user:password@]host:port[/db]` (`rediss://` for TLS) shared by several nodes.',
    {
      flag: {
        name: '--broker',
        arg: '<url>',
        help: 'memory: (one process) or redis://host:port (several nodes or workers)',
      },
    },
  ),
  s(
    'broker.keyPrefix',
    'BROKER__KEY_PREFIX',
    STRING,
    'Prefix of Redis keys and pub/sub channels, so applications can share a Redis.',
  ),
  s('broker.sharded', 'BROKER__SHARDED', BOOLEAN, 'Sharded pub/sub (SPUBLISH, Redis 7+).'),
  s(
    'broker.commandTimeoutMs',
    'BROKER__COMMAND_TIMEOUT_MS',
    INTEGER,
    'Deadline of each Redis command, in ms; a publish that misses it gets broker_unavailable.',
  ),
  s(
    'broker.presenceHeartbeatMs',
    'BROKER__PRESENCE_HEARTBEAT_MS',
    INTEGER,
    "Presence heartbeat, in ms; a dead node's presence vanishes within 3 x this.",
  ),
  s(
    'workers',
    'WORKERS',
    INTEGER,
    'Worker processes serving one port (node:cluster); more than 1 needs a shared broker (redis://).',
    {
      flag: {
        name: '--workers',
        arg: '<n>',
        help: 'worker processes on one port (node:cluster); n > 1 needs --broker redis://...',
      },
    },
  ),
];

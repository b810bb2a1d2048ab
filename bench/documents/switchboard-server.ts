// Documents benchmark server: Switchboard's RealtimeServer with one document namespace `doc` (anonymous editors may
// read and write), MemoryBroker, and the document store BENCH_DOC_STORE names: `memory` (default, like the peers)
// or `file` (the embedded default, fdatasync per batch of appends, in a temporary directory removed at exit).
// Limits are raised so the benchmark measures the work, not the rate limiter; BENCH_DOC_BATCH_MS sets
// documentFanoutBatchMs (the server's default, auto, when unset or empty), BENCH_DOC_HIBERNATE_MS documentHibernateMs.
// Prints `listening PORT`; its stats add the documents loaded and hibernated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker, openDocumentStore } from '../../src/broker/index.ts';
import { createAuthenticator, createNamespaces, RealtimeServer } from '../../src/realtime/index.ts';
import { serveControl } from './control.mjs';

const kind = process.env['BENCH_DOC_STORE'] ?? 'memory';
const dir = kind === 'file' ? mkdtempSync(join(tmpdir(), 'sb-bench-docs-')) : '';
const documentStore = await openDocumentStore(kind === 'file' ? { kind: 'file', dir } : { kind: 'memory' });
const broker = new MemoryBroker();
// BENCH_DOC_BATCH_MS: the namespace's documentFanoutBatchMs (`switchboard-batch`, `-nobatch`); unset: the default.
const batchMs = process.env['BENCH_DOC_BATCH_MS'] ?? '';
const documentFanoutBatchMs: number | 'auto' | undefined =
  batchMs === '' ? undefined : batchMs === 'auto' ? 'auto' : Number(batchMs);
// Every other document setting at its default (documentIdleUnloadMs 30 s, compaction after 500 updates or 1 MiB).
// BENCH_DOC_HIBERNATE_MS: the namespace's documentHibernateMs when set (0: never; an A/B of hibernation), else the default.
const hibernate = process.env['BENCH_DOC_HIBERNATE_MS'];
const docNamespace = {
  ...(hibernate === undefined ? {} : { documentHibernateMs: Number(hibernate) }),
  presence: false,
  joinLeave: false,
  typing: false,
  document: true,
  documentUpdatesPerSecond: 1_000,
  awarenessUpdatesPerSecond: 1_000,
  ...(documentFanoutBatchMs === undefined ? {} : { documentFanoutBatchMs }),
};
const hub = new RealtimeServer({
  port: Number(process.env['PORT'] ?? 0),
  broker,
  namespaces: createNamespaces({ doc: docNamespace }),
  authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  connectionsPerMinutePerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
  rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
  engine: { pingIntervalMs: 0, handshakeTimeoutMs: 60_000 },
  authTimeoutMs: 60_000,
  documentStore,
  // The y-websocket endpoint `/yjs/<name>` on the same namespace (the `switchboard-yjs` row).
  yjsNamespace: 'doc',
});
const address = await hub.wss.listen();
serveControl(
  () => {
    const stats = hub.documents.stats();
    return { documents: stats.documents, hibernated: stats.documentsHibernated };
  },
  async () => {
    await hub.drain({ timeoutMs: 100 });
    await documentStore.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  },
);
process.stdout.write(`listening ${address.port}\n`);

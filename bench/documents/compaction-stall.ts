// Documents benchmark, in process: scenario (a)'s shape (one document, 50 editors, each inserting 8 characters at
// the end of its own Y.Doc, as bench/documents/load.mjs) through sessions over a transport that keeps nothing, and
// how long each event-loop turn takes: a compaction (every `documentCompactUpdates` stored updates) runs inside one
// turn, so the longest turns show what it stalls, the p99 of the benchmark's latency.
//   node --import tsx bench/documents/compaction-stall.ts [--editors 50] [--updates 5000] [--per-turn 5] [--repeats 3]
//   SB_SRC=/path/to/other/src node --import tsx bench/documents/compaction-stall.ts   # another checkout's code
// Prints, per repeat (a fresh document each): CPU per update, and the turns' p50, p99, p99.9 and max in ms.
import { parseArgs } from 'node:util';
import * as Y from 'yjs';

const { values: args } = parseArgs({
  options: {
    editors: { type: 'string', default: '50' },
    updates: { type: 'string', default: '5000' },
    'per-turn': { type: 'string', default: '5' },
    repeats: { type: 'string', default: '3' },
  },
});
const EDITORS = Number(args.editors);
const UPDATES = Number(args.updates);
const PER_TURN = Number(args['per-turn']);
const REPEATS = Number(args.repeats);
const EDIT = 'abcdefgh';
const src = process.env['SB_SRC'] ?? new URL('../../src/', import.meta.url).pathname;
const broker = await import(`${src}/broker/index.ts`);
const realtime = await import(`${src}/realtime/index.ts`);

class NullTransport {
  readonly remoteAddress = 'bench';
  readonly bufferedAmount = 0;
  readonly protocol = 'switchboard.v1.json';
  received = 0;
  send(): boolean {
    this.received++;
    return true;
  }
  close(): void {}
}
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const docMessage = (channel: string, bytes: Uint8Array): string =>
  JSON.stringify({ type: 'doc', channel, kind: 'update', data: Buffer.from(bytes).toString('base64') });
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const hub = new realtime.RealtimeServer({
  port: 0,
  broker: new broker.MemoryBroker(),
  namespaces: realtime.createNamespaces({
    doc: { presence: false, joinLeave: false, typing: false, document: true, documentUpdatesPerSecond: 1_000_000 },
  }),
  authenticator: await realtime.createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  rateLimit: { messagesPerSecond: 1e9, messagesBurst: 1e9, bytesPerSecond: 1e12, bytesBurst: 1e12 },
  documentStore: await broker.openDocumentStore({ kind: 'memory' }),
});

for (let r = 0; r < REPEATS; r++) {
  const channel = `doc:stall-${r}`;
  const editors: { session: { receive(m: string): void }; doc: Y.Doc }[] = [];
  for (let e = 0; e < EDITORS; e++) {
    const session = hub.openSession(new NullTransport());
    session.receive(JSON.stringify({ type: 'connect', rid: 1 }));
    session.receive(JSON.stringify({ type: 'subscribe', rid: 2, channel }));
    editors.push({ session, doc: new Y.Doc() });
  }
  for (let i = 0; i < 20; i++) await turn();
  // The compaction's two synchronous parts, timed: applying the re-read, and encoding the snapshot.
  const live = hub.documents.get(channel);
  const parts = { applyStored: [] as number[], snapshot: [] as number[] };
  for (const key of ['applyStored', 'snapshot'] as const) {
    const original = live[key].bind(live);
    live[key] = (...a: unknown[]) => {
      const start = performance.now();
      const result = original(...a);
      parts[key].push(performance.now() - start);
      return result;
    };
  }
  // Every update made before the measure (the load generator's work is not the server's).
  const messages: { session: { receive(m: string): void }; message: string }[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const editor = editors[i % EDITORS]!;
    let update: Uint8Array | null = null;
    const take = (u: Uint8Array) => {
      update = u;
    };
    editor.doc.on('update', take);
    const text = editor.doc.getText('text');
    text.insert(text.length, EDIT);
    editor.doc.off('update', take);
    messages.push({ session: editor.session, message: docMessage(channel, update!) });
  }
  const turns: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < UPDATES; i += PER_TURN) {
    const start = performance.now();
    for (let j = i; j < Math.min(UPDATES, i + PER_TURN); j++) messages[j]!.session.receive(messages[j]!.message);
    await turn();
    turns.push(performance.now() - start);
  }
  for (let i = 0; i < 20; i++) await turn();
  const used = process.cpuUsage(cpu);
  turns.sort((a, b) => a - b);
  console.log(
    `repeat ${r + 1}: ${((used.user + used.system) / UPDATES).toFixed(1)} µs CPU/update; turn ms p50 ${quantile(turns, 0.5).toFixed(2)} p99 ${quantile(turns, 0.99).toFixed(2)} p99.9 ${quantile(turns, 0.999).toFixed(2)} max ${turns.at(-1)!.toFixed(2)} (${turns.length} turns)`,
  );
  const describe = (xs: number[]) =>
    xs.length === 0
      ? 'none'
      : `${xs.length}, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)}`;
  console.log(
    `  compactions: re-read applied ${describe(parts.applyStored)}; snapshot encoded ${describe(parts.snapshot)}`,
  );
}
await hub.drain({ timeoutMs: 100 });
process.exit(0);

// Documents benchmark, in process: the server's per-update cost above the engine (message parse and schema check,
// base64, validation, rate limit, Y.applyUpdate, store append, fan-out frame), scenario (b)'s shape: D documents
// with 2 sessions each over a transport that keeps nothing; the first session of each document sends updates made by
// a real Y.Doc (8-character inserts, as bench/documents/load.mjs), the second receives them.
//   node --import tsx bench/documents/session-path.ts [--docs 1000] [--updates 20] [--repeats 5] [--codec json|msgpack]
//     [--doc-rid quiet|reply|none: `doc` messages with a rid and `quiet` as the SDK sends them (the default), with a
//     rid the server answers, or without a rid]
// Prints the median and the lowest µs of process CPU per update over the repeats (each repeat: every document sends
// `updates`); on a shared machine the lowest is the steadier figure to compare two builds by.
import { parseArgs } from 'node:util';
import { pack } from 'msgpackr';
import * as Y from 'yjs';
import { MemoryBroker, openDocumentStore } from '../../src/broker/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  RealtimeServer,
  type SessionTransport,
} from '../../src/realtime/index.ts';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000' },
    updates: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '5' },
    codec: { type: 'string', default: 'json' },
    'doc-rid': { type: 'string', default: 'quiet' },
  },
});
const DOCS = Number(args.docs);
const UPDATES = Number(args.updates);
const REPEATS = Number(args.repeats);
const MSGPACK = args.codec === 'msgpack';
if (!['quiet', 'reply', 'none'].includes(args['doc-rid']))
  throw new Error(`--doc-rid must be quiet, reply or none, not ${JSON.stringify(args['doc-rid'])}`);
const EDIT = 'abcdefgh';
/** Documents whose update is handed to the server before the loop yields (the engine's reads of one poll phase). */
const PER_TURN = 50;

class NullTransport implements SessionTransport {
  readonly remoteAddress = 'bench';
  readonly bufferedAmount = 0;
  readonly protocol = MSGPACK ? 'switchboard.v1.msgpack' : 'switchboard.v1.json';
  received = 0;
  send(): boolean {
    this.received++;
    return true;
  }
  close(): void {}
}

const encode = (message: Record<string, unknown>): string | Uint8Array =>
  MSGPACK ? pack(message) : JSON.stringify(message);
// Yjs bytes are base64 text in both codecs (docs/documents.md).
// Each `doc` as --doc-rid says: by default with a rid and `quiet`, as the SDK's provider sends them.
let nextRid = 3;
const docMessage = (channel: string, kind: string, bytes: Uint8Array): string | Uint8Array => {
  const data = Buffer.from(bytes).toString('base64');
  if (args['doc-rid'] === 'none') return encode({ type: 'doc', channel, kind, data });
  if (args['doc-rid'] === 'reply') return encode({ type: 'doc', rid: nextRid++, channel, kind, data });
  return encode({ type: 'doc', rid: nextRid++, channel, kind, data, quiet: true });
};
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const hub = new RealtimeServer({
  port: 0,
  broker: new MemoryBroker(),
  namespaces: createNamespaces({
    doc: {
      presence: false,
      joinLeave: false,
      typing: false,
      document: true,
      documentUpdatesPerSecond: 1_000_000,
      awarenessUpdatesPerSecond: 1_000,
    },
  }),
  authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  rateLimit: { messagesPerSecond: 1e9, messagesBurst: 1e9, bytesPerSecond: 1e12, bytesBurst: 1e12 },
  documentStore: await openDocumentStore({ kind: 'memory' }),
});

const writers: { session: ReturnType<RealtimeServer['openSession']>; channel: string; text: Y.Text; doc: Y.Doc }[] = [];
const readers: NullTransport[] = [];
for (let d = 0; d < DOCS; d++) {
  const channel = `doc:bench-${d}`;
  for (let e = 0; e < 2; e++) {
    const transport = new NullTransport();
    const session = hub.openSession(transport);
    session.receive(encode({ type: 'connect', rid: 1 }));
    session.receive(encode({ type: 'subscribe', rid: 2, channel }));
    if (e === 0) {
      const doc = new Y.Doc();
      writers.push({ session, channel, doc, text: doc.getText('t') });
    } else readers.push(transport);
  }
  if (d % PER_TURN === 0) await turn();
}
for (let i = 0; i < 20; i++) await turn();

/** Every writer's next `n` updates, made before the measure. */
function makeUpdates(n: number): (string | Uint8Array)[][] {
  return writers.map((w) => {
    const out: (string | Uint8Array)[] = [];
    for (let i = 0; i < n; i++) {
      let update: Uint8Array | null = null;
      const take = (u: Uint8Array) => {
        update = u;
      };
      w.doc.on('update', take);
      w.text.insert(w.text.length, EDIT);
      w.doc.off('update', take);
      out.push(docMessage(w.channel, 'update', update!));
    }
    return out;
  });
}

const perUpdate: number[] = [];
for (let r = 0; r < REPEATS + 1; r++) {
  const updates = makeUpdates(UPDATES);
  const before = readers.reduce((sum, t) => sum + t.received, 0);
  const start = process.cpuUsage();
  for (let i = 0; i < UPDATES; i++) {
    for (let d = 0; d < writers.length; d++) {
      writers[d]!.session.receive(updates[d]![i]!);
      if (d % PER_TURN === PER_TURN - 1) await turn();
    }
    await turn();
  }
  for (let i = 0; i < 5; i++) await turn();
  const used = process.cpuUsage(start);
  const got = readers.reduce((sum, t) => sum + t.received, 0) - before;
  if (got !== UPDATES * writers.length) throw new Error(`readers got ${got} of ${UPDATES * writers.length} updates`);
  if (r > 0) perUpdate.push((used.user + used.system) / (UPDATES * writers.length));
}
perUpdate.sort((a, b) => a - b);
const median = perUpdate[Math.floor(perUpdate.length / 2)]!;
console.log(
  `${args.codec}: ${median.toFixed(2)} µs CPU per update, median of ${REPEATS} (lowest ${perUpdate[0]!.toFixed(2)}; ${perUpdate.map((x) => x.toFixed(1)).join(', ')})`,
);
await hub.drain({ timeoutMs: 100 });
process.exit(0);

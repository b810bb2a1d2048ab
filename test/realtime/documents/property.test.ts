// Documents, property: N clients apply random edits over random disconnects and reconnects (edits made offline wait
// for the next sync) and always converge to one text, equal on every replica, in the server's document and in storage.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { DocReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type Hub } from '../../helpers/realtime.ts';

type Action =
  | { readonly kind: 'insert'; readonly client: number; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly client: number; readonly at: number; readonly length: number }
  | { readonly kind: 'disconnect'; readonly client: number; readonly abrupt: boolean }
  | { readonly kind: 'reconnect'; readonly client: number }
  | { readonly kind: 'pause' };

const MAX_CLIENTS = 4;

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      client: fc.nat(MAX_CLIENTS - 1),
      at: fc.nat(60),
      text: fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('a', 'b', 'c', 'é', '😀', ' ') }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      client: fc.nat(MAX_CLIENTS - 1),
      at: fc.nat(60),
      length: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('disconnect' as const),
      client: fc.nat(MAX_CLIENTS - 1),
      abrupt: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client: fc.nat(MAX_CLIENTS - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
);

async function connect(t: TestContext, hub: Hub, replica: DocReplica, user: string) {
  const client = await openClient(t, hub, user);
  replica.attach(client);
  replica.online = true;
  const answer = await client.request({ type: 'subscribe', channel: replica.channel }, 10_000);
  assert.equal(answer.type, 'subscribed');
  replica.sync();
}

function storedText(stored: { snapshot: Uint8Array | null; updates: readonly Uint8Array[] }): string {
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc.getText('text').toString();
}

test('random edits over random disconnects and reconnects always converge, on every replica and in storage', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentUpdatesPerSecond: 10_000, documentCompactUpdates: 25 } },
    documentStore: store,
    rateLimit: { messagesPerSecond: 10_000, messagesBurst: 10_000 },
  });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: MAX_CLIENTS }),
      fc.array(action, { minLength: 5, maxLength: 40 }),
      async (clients, actions) => {
        const channel = `doc:run${run++}`;
        const replicas = Array.from({ length: clients }, () => new DocReplica(null, channel));
        try {
          for (let i = 0; i < clients; i++) await connect(t, hub, replicas[i]!, `user${i}`);
          for (const step of actions) {
            if (step.kind === 'pause') {
              await new Promise((r) => setTimeout(r, 5));
              continue;
            }
            const replica = replicas[step.client % clients]!;
            switch (step.kind) {
              case 'insert':
                replica.insert(step.at, step.text);
                break;
              case 'delete':
                replica.delete(step.at, step.length);
                break;
              case 'disconnect':
                if (!replica.online) break;
                replica.online = false;
                if (step.abrupt) replica.client.ws.terminate();
                else replica.client.close();
                break;
              case 'reconnect':
                if (!replica.online) await connect(t, hub, replica, `user${step.client % clients}`);
                break;
            }
          }
          for (let i = 0; i < clients; i++) if (!replicas[i]!.online) await connect(t, hub, replicas[i]!, `user${i}`);
          const agreed = () => replicas.every((r) => r.synced && r.text === replicas[0]!.text);
          for (const r of replicas) await r.until(agreed, 15_000, `replicas of ${channel} agree`);
          const live = hub.hub.documents.get(channel)!;
          await replicas[0]!.until(() => live.doc.getText('text').toString() === replicas[0]!.text, 15_000, 'server');
          for (const r of replicas) await r.client.request({ type: 'ping' }, 10_000);
          await live.writes;
          assert.equal(storedText(await store.load(channel)), replicas[0]!.text, 'storage agrees');
          for (const r of replicas) assert.deepEqual(r.errors, []);
        } finally {
          for (const r of replicas) {
            r.client?.ws.terminate();
            r.destroy();
          }
        }
      },
    ),
    { numRuns: Number(process.env['DOC_PROPERTY_RUNS'] ?? 20), endOnFailure: true },
  );
});

// PostgresDocumentStore on the machine's PostgreSQL (database `test`), each store with its own tables, dropped after.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BrokerError, PostgresDocumentStore } from '../../../src/broker/index.ts';
import { docName, runDocumentStoreContract } from './contract.ts';

const URL = process.env.SB_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tables: string[] = [];

function tablePrefix(): string {
  const table = `sb_docs_${randomUUID().replaceAll('-', '')}`;
  tables.push(table);
  return table;
}

after(async () => {
  for (const table of tables) {
    const store = await PostgresDocumentStore.connect({ connectionString: URL, table });
    await store.dropTables();
    await store.close();
  }
});

runDocumentStoreContract('PostgresDocumentStore', async () =>
  PostgresDocumentStore.connect({ connectionString: URL, table: tablePrefix() }),
);

test('PostgresDocumentStore: two stores on one table see each other and compactions do not lose concurrent appends', async (t) => {
  const table = tablePrefix();
  const [a, b] = await Promise.all([
    PostgresDocumentStore.connect({ connectionString: URL, table }),
    PostgresDocumentStore.connect({ connectionString: URL, table }),
  ]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const name = docName('two-nodes');
  let appended = 0;
  let compacted = 0;
  // Node b appends without pause while node a compacts what it loaded, again and again.
  const writer = (async () => {
    for (let i = 0; i < 300; i++) {
      await b.append(name, Uint8Array.of(i % 256));
      appended++;
    }
  })();
  while (appended < 300) {
    const loaded = await a.load(name);
    assert.equal(await a.compact(name, Uint8Array.of(loaded.updates.length), loaded.seq), true);
    compacted += loaded.updates.length;
  }
  await writer;
  const rest = await a.load(name);
  assert.equal(compacted + rest.updates.length, 300, 'every append was compacted exactly once or is in the tail');
});

test('PostgresDocumentStore refuses a table prefix that is not a plain identifier', async () => {
  for (const table of ['x"; DROP TABLE y; --', '1abc', '', 'a-b', 'x'.repeat(49)]) {
    await assert.rejects(PostgresDocumentStore.connect({ connectionString: URL, table }), RangeError, table);
  }
});

test('PostgresDocumentStore.connect rejects when the database is unreachable', async () => {
  await assert.rejects(
    PostgresDocumentStore.connect({ connectionString: 'postgres://postgres@127.0.0.1:1/test', table: tablePrefix() }),
    (err: unknown) => err instanceof BrokerError && err.code === 'BROKER_UNAVAILABLE',
  );
});

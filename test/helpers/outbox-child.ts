// Test helper (child process): a publisher with a file-backed outbox. Mode `queue` queues N messages while the server is
// unreachable and reports once they are on disk (then waits to be killed); mode `drain` loads the file and sends them.
import fs from 'node:fs/promises';
import { Client, FileOutboxStore } from '../../src/client/index.ts';
import { engineTransport, tokenFor } from './client-faults.ts';

const [mode, url, file, countText] = process.argv.slice(2) as [string, string, string, string];
const client = new Client({
  url,
  transport: engineTransport,
  token: await tokenFor('child-publisher'),
  reconnect: { minDelayMs: 50, maxDelayMs: 300, factor: 2 },
  outbox: { maxMessages: 1000, store: new FileOutboxStore(file, { fs }) },
});
if (mode === 'queue') {
  void client.connect().catch(() => {});
  for (let i = 0; i < Number(countText); i++) client.publish('chat:restart', { i }).catch(() => {});
  await client.outboxPersisted();
  process.stdout.write(`queued ${client.outbox.length}\n`);
  setInterval(() => {}, 1000); // killed by the test with SIGKILL: no graceful shutdown
} else {
  let acked = 0;
  client.on('acked', () => {
    acked++;
  });
  await client.connect();
  const deadline = Date.now() + 20_000;
  await client.outboxPersisted();
  while ((client.outbox.length > 0 || acked === 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await client.outboxPersisted();
  process.stdout.write(`acked ${acked} left ${client.outbox.length}\n`);
  client.close();
  process.exit(0);
}

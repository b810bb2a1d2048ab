// Test helper, run as a child process: a source (amqp or mqtt) whose deliver function "stores" each message by
// appending `<position>\t<payload>` to a file (synchronously) and only then acks it. The parent kills it with
// SIGKILL mid-stream and starts it again, then reads the file. Prints `running` once the source consumes;
// closes the source gracefully on SIGTERM.
// Usage: tsx source-child.ts <kind> <options JSON> <output file> <delay ms per message>
import { appendFileSync } from 'node:fs';
import type { Source } from '../../../src/ingest/source.ts';

const [kind, optionsJson, file, delay] = process.argv.slice(2);
const options = JSON.parse(optionsJson!) as Record<string, unknown>;
const delayMs = Number(delay ?? '0');
// Options arrive as JSON from the parent test; the source's schema validates them.
const source: Source =
  kind === 'amqp'
    ? (await import('../../../src/ingest/amqp.ts')).createAmqpSource('child', options as never)
    : (await import('../../../src/ingest/mqtt.ts')).createMqttSource('child', options as never);

await source.start(async (message) => {
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  appendFileSync(file!, `${message.position}\t${Buffer.from(message.payload).toString('utf8')}\n`);
  await message.ack();
});
const ready = setInterval(() => {
  if (source.status().state === 'running') {
    clearInterval(ready);
    process.stdout.write('running\n');
  }
}, 20);
process.once('SIGTERM', () => {
  clearInterval(ready);
  void source.close().then(() => process.exit(0));
});

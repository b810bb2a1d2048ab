// Test helper (child process): runs an echo server under test, and answers memory/state queries on stdin, so hostile clients don't pollute its heap.
import { startEcho, type Impl } from './echo-server.ts';
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2] ?? '{}') as { impl?: Impl; options?: Record<string, unknown> };
const gc = (globalThis as { gc?: () => void }).gc;
const server = await startEcho(config.impl ?? 'switchboard', config.options ?? {});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);

process.on('uncaughtException', (err) => {
  process.stdout.write(`${JSON.stringify({ uncaught: String(err?.stack ?? err) })}\n`);
  process.exit(70);
});

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'mem') {
    if (gc) {
      gc();
      gc();
    }
    const m = process.memoryUsage();
    process.stdout.write(
      `${JSON.stringify({
        heapUsed: m.heapUsed,
        rss: m.rss,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        connections: server.connectionCount(),
        resources: resources(),
        gc: gc !== undefined,
      })}\n`,
    );
  } else if (cmd === 'stats') {
    process.stdout.write(
      `${JSON.stringify({
        connections: server.connectionCount(),
        closes: server.closes,
        errors: server.errors.map((e) => String((e as Error)?.message ?? e)),
      })}\n`,
    );
  }
});
rl.on('close', () => {
  void server.stop().finally(() => process.exit(0));
});

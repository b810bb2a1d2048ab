// Documents benchmark: the control channel every benchmark server shares. The orchestrator writes `stats` lines on
// the server's stdin; the server answers `stats {json}` on stdout with its own CPU (process.cpuUsage, all threads, before the GCs)
// and its memory after two forced GCs (run with --expose-gc); `cpu` lines get `cpu {json}`, the CPU alone (no GC).
// Closing stdin or SIGTERM stops the server.
import { createInterface } from 'node:readline';

/**
 * @param {() => Record<string, number>} [extra] figures the server adds (documents loaded...)
 * @param {() => Promise<void> | void} [stop]
 */
export function serveControl(extra = () => ({}), stop = () => {}) {
  const lines = createInterface({ input: process.stdin });
  const exit = async () => {
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  lines.on('line', (line) => {
    if (line.trim() === 'cpu') {
      // The CPU alone, without forced GCs: read as a measured window starts, when a GC's pause would land in it.
      const { user, system } = process.cpuUsage();
      process.stdout.write(`cpu ${JSON.stringify({ cpuUs: user + system })}\n`);
      return;
    }
    if (line.trim() !== 'stats') return;
    // CPU before the forced GCs, so a window that ends with this call excludes them.
    const before = process.cpuUsage();
    const gc = globalThis.gc;
    if (typeof gc === 'function') {
      gc();
      gc();
    }
    const mem = process.memoryUsage();
    const stats = {
      cpuUs: before.user + before.system,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      ...extra(),
    };
    process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
  });
  lines.on('close', exit);
  process.once('SIGTERM', exit);
}

// Documents benchmark: the control channel every benchmark server shares. The orchestrator writes `stats` lines on
// the server's stdin; the server answers `stats {json}` on stdout with its own CPU (process.cpuUsage, all threads, before and after the GCs)
// and its memory after two forced GCs (run with --expose-gc). Closing stdin or SIGTERM stops the server.
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
    if (line.trim() !== 'stats') return;
    // CPU before and after the forced GCs, so a window measured between two calls excludes them.
    const before = process.cpuUsage();
    const gc = globalThis.gc;
    if (typeof gc === 'function') {
      gc();
      gc();
    }
    const after = process.cpuUsage();
    const mem = process.memoryUsage();
    const stats = {
      cpuUs: before.user + before.system,
      cpuUsAfterGc: after.user + after.system,
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

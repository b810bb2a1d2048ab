// The fan-out load clients' measuring side (bench/realtime/load.mjs, bench/transports/load.mjs): opening N
// subscribers a few at a time, the windowed publish phases (latency with one message in flight, throughput with
// `--window`), the CPU figures of this process, the server and the machine from /proc, and percentiles.
import { readFileSync } from 'node:fs';

/** /proc's CPU times are in clock ticks of 10 ms (USER_HZ = 100 on Linux). */
const TICK_MS = 10;

/** This process's user+system CPU in ms. */
export function ownCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * A process's user+system CPU in ms, from /proc/PID/stat (10 ms ticks).
 * @param {string | number | undefined} pid
 * @returns {number} NaN without a pid.
 */
export function processCpuMs(pid) {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/**
 * A process's resident set in bytes (VmRSS of /proc/PID/status).
 * @param {string | number | undefined} pid
 * @returns {number} NaN without a pid.
 */
export function processRssBytes(pid) {
  if (pid === undefined) return Number.NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** CPU ms all processes of the machine spent, from /proc/stat's `cpu` line (user+nice+system+irq+softirq+steal). */
export function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).map(Number);
  return (f[1] + f[2] + f[3] + f[6] + f[7] + f[8]) * TICK_MS;
}

/**
 * Runs `open(i)` for i = 0..count-1, at most `concurrency` at a time, until done or `stopped()`.
 * @param {number} count
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} open
 * @param {() => boolean} [stopped]
 * @returns {{ done: Promise<void>, readonly started: number }} `started`: how many were begun so far.
 */
export function openConcurrently(count, concurrency, open, stopped = () => false) {
  let next = 0;
  const worker = async () => {
    while (next < count && !stopped()) await open(next++);
  };
  const done = Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker)).then(() => {});
  return {
    done,
    get started() {
      return next;
    },
  };
}

/**
 * Publishes messages `from..to` keeping `window` in flight: each completed message (delivered to every subscriber)
 * sends the next. The caller's delivery code calls the handler `listen` receives: with the message's sequence number
 * when it completed, with -1 to end the phase early (a failure).
 * @param {{
 *   from: number, to: number, window: number,
 *   publish: (seq: number) => void,
 *   listen: (handler: (seq: number) => void) => void,
 *   serverPid?: string,
 *   timeoutMs?: number,
 *   timedOut?: (reason: string) => void,
 * }} o `timedOut` is called with a reason when the phase outlasts `timeoutMs` (it should end the phase with -1).
 * @returns {Promise<{ ms: number, clientCpuMs: number, serverCpuMs: number, othersCpuMs: number }>} `othersCpuMs`:
 *   what other processes took meanwhile (the machine is shared): everything busy minus this client and the server.
 */
export function windowedPhase({ from, to, window, publish, listen, serverPid, timeoutMs, timedOut }) {
  return new Promise((resolve) => {
    let sent = from;
    let completed = 0;
    let ended = false;
    const total = to - from + 1;
    const started = performance.now();
    const cpu0 = ownCpuMs();
    const server0 = processCpuMs(serverPid);
    const busy0 = machineBusyMs();
    const timer =
      timeoutMs === undefined
        ? null
        : setTimeout(() => timedOut?.(`messages ${from}..${to} were not all delivered in ${timeoutMs} ms`), timeoutMs);
    const end = () => {
      if (ended) return;
      ended = true;
      if (timer !== null) clearTimeout(timer);
      const clientCpuMs = ownCpuMs() - cpu0;
      const serverCpuMs = processCpuMs(serverPid) - server0;
      const othersCpuMs = Math.max(0, machineBusyMs() - busy0 - clientCpuMs - serverCpuMs);
      resolve({ ms: performance.now() - started, clientCpuMs, serverCpuMs, othersCpuMs });
    };
    listen((seq) => {
      if (seq < 0) return end();
      completed++;
      if (sent <= to) publish(sent++);
      if (completed === total) end();
    });
    if (total <= 0) return end();
    while (sent <= to && sent - from < window) publish(sent++);
  });
}

/**
 * The median, 99th percentile and maximum of the first `count` samples (sorted in place).
 * @param {Float64Array} samples
 * @param {number} count
 * @returns {{ p50Ms: number, p99Ms: number, maxMs: number }} NaN each when there are none.
 */
export function latencyPercentiles(samples, count) {
  const xs = samples.subarray(0, count).sort();
  const pct = (p) => (count === 0 ? Number.NaN : xs[Math.min(count - 1, Math.floor(p * count))]);
  return { p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: count === 0 ? Number.NaN : xs[count - 1] };
}

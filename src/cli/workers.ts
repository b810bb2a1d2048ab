// CLI: the `serve --workers N` primary: forks N serve workers on one port, restarts dead ones, forwards drains.
import cluster, { type Worker } from 'node:cluster';

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  /** Number of workers kept running. */
  readonly workers: number;
  /** The workers' drain deadline; a worker still running this long (plus a margin) after SIGTERM is killed. */
  readonly drainTimeoutMs: number;
  /** Where lifecycle lines go. */
  readonly logger: {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
    error(fields: Record<string, unknown>, message: string): void;
  };
  /**
   * Pause before replacing a worker that died, in ms; doubles (up to 5 s) while workers die within 5 s of starting.
   * @default 100 - a crashed worker's port share is back at once, a crash loop does not spin the CPU
   */
  readonly restartDelayMs?: number;
}

/** A worker living less than this is counted as a crash loop for the restart backoff. */
const EARLY_DEATH_MS = 5000;

/**
 * Runs the cluster primary until SIGTERM or SIGINT. Each worker runs the same `switchboard serve` command line
 * (node:cluster re-executes it), listens on the shared port, and connects to the shared broker with its own
 * node id. A worker that exits while the primary is not stopping is replaced; clients of the other workers are
 * unaffected (their connections live in those processes). On SIGTERM/SIGINT the primary forwards SIGTERM to
 * every worker, which drains (close 1001), and exits 0 once all exited cleanly, 1 otherwise.
 * @param options Worker count, drain deadline, logger.
 * @returns The exit code.
 */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger } = options;
  let stopping = false;
  let failures = 0;
  let delayMs = options.restartDelayMs ?? 100;
  const baseDelayMs = delayMs;
  const startedAt = new Map<Worker, number>();

  const fork = (): void => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    worker.on('error', (err: Error) =>
      logger.warn({ event: 'worker_error', worker: worker.id, err }, 'worker IPC error'),
    );
  };

  process.stdout.write(`switchboard serve: primary ${process.pid} starting ${options.workers} workers\n`);
  logger.info({ event: 'primary_started', pid: process.pid, workers: options.workers }, 'primary started');

  return new Promise<number>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
      startedAt.delete(worker);
      if (stopping) {
        if (code !== 0) failures++;
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          logger.info({ event: 'primary_stopped', failures }, 'all workers stopped');
          resolve(failures === 0 ? 0 : 1);
        }
        return;
      }
      logger.warn(
        { event: 'worker_exited', worker: worker.id, pid: worker.process.pid, code, signal, livedMs: lived },
        'worker exited; starting a replacement',
      );
      delayMs = lived < EARLY_DEATH_MS ? Math.min(delayMs * 2, 5000) : baseDelayMs;
      setTimeout(
        () => {
          if (!stopping) fork();
        },
        lived < EARLY_DEATH_MS ? delayMs : baseDelayMs,
      );
    });
    cluster.on('online', (worker) =>
      logger.info({ event: 'worker_online', worker: worker.id, pid: worker.process.pid }, 'worker online'),
    );

    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      logger.info({ event: 'primary_draining', signal, workers: workers.length }, 'draining workers');
      if (workers.length === 0) {
        resolve(0);
        return;
      }
      for (const worker of workers) worker.process.kill('SIGTERM');
      // Workers bound their drain by drainTimeoutMs; one that hangs beyond it (plus a margin) is killed.
      setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          if (worker === undefined) continue;
          logger.error({ event: 'worker_killed', worker: worker.id }, 'worker did not stop in time');
          worker.process.kill('SIGKILL');
        }
      }, options.drainTimeoutMs + 5000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    // SIGHUP (TLS certificate reload) is the workers' business: they hold the listening TLS contexts.
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });
    for (let i = 0; i < options.workers; i++) fork();
  });
}

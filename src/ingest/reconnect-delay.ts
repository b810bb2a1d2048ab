// Ingest: how long a source waits before its next reconnect attempt, and a wait that `close()` can cut short.

/**
 * Exponential backoff with full jitter: attempt 0 waits up to `initialMs`, each further attempt doubles the bound up to
 * `maxMs`. Jitter spreads the reconnects of many nodes after a shared broker restart.
 * @param attempt Failed attempts so far (0 for the first retry).
 */
export function reconnectDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  const bound = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(bound / 2 + (Math.random() * bound) / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// Node binding: graceful shutdown of a set of connections: Close, wait up to a deadline, then terminate.
import type { WebSocket } from './websocket.ts';

/** Options of {@link closeAll}. */
export interface CloseAllOptions {
  /** Close code sent to every connection. */
  readonly code: number;
  /** Close reason (at most 123 bytes). */
  readonly reason: string;
  /** Time the peers get to answer the Close before their sockets are destroyed. */
  readonly timeoutMs: number;
}

/**
 * Closes every socket with `code` (1001 "going away" for a shutdown, RFC 6455 §7.4.1), waits
 * until each TCP connection is gone or `timeoutMs` passed, then terminates the rest and waits for
 * their close events. Never rejects.
 * @param sockets - the connections (a snapshot is taken)
 * @param options - code, reason and deadline
 * @returns resolves when every socket is CLOSED
 * @example
 * ```ts
 * await closeAll(server.clients, { code: 1001, reason: 'Server restart', timeoutMs: 5000 });
 * ```
 */
export function closeAll(sockets: Iterable<WebSocket>, options: CloseAllOptions): Promise<void> {
  const open = [...sockets].filter((ws) => ws.readyState !== 3);
  if (open.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = open.length;
    const timer = setTimeout(() => {
      for (const ws of open) if (ws.readyState !== 3) ws.terminate();
    }, options.timeoutMs);
    const done = (): void => {
      left--;
      if (left === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const ws of open) {
      ws.addEventListener('close', done, { once: true });
      try {
        ws.close(options.code, options.reason);
      } catch {
        ws.terminate();
      }
    }
  });
}

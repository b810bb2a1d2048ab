// HTTP: the metrics' subscription to the engine's diagnostics channels (opens, closes, refusals, slow consumers).
import diagnosticsChannel from 'node:diagnostics_channel';
import { CloseCode, DiagnosticsChannel } from '../engine/index.ts';

/** What {@link subscribeEngineDiagnostics} reports to; values are passed as the engine sent them, unchecked. */
export interface EngineDiagnosticsSink {
  /** A server-role connection opened. */
  opened(): void;
  /**
   * A server-role connection closed.
   * @param code the code the closing end decided, else the code received, else 1006
   * @param durationMs how long it was open, when the engine said
   */
  closed(code: number, durationMs: number | undefined): void;
  /**
   * The engine refused an upgrade (refusals by the accept hook are left to the realtime layer, which knows why).
   * @param reason the engine's `reason`, unchecked
   */
  handshakeRejected(reason: unknown): void;
  /**
   * The engine acted on a send past the high-water mark.
   * @param action the engine's `action`, unchecked
   */
  slowConsumer(action: unknown): void;
}

/**
 * Subscribes to the engine's diagnostics channels. Client-role sockets (our own outgoing connections) are not counted.
 * @param sink where the events go
 * @returns the unsubscribe functions, one per channel, in subscription order
 */
export function subscribeEngineDiagnostics(sink: EngineDiagnosticsSink): Array<() => void> {
  const unsubscribe: Array<() => void> = [];
  const subscribe = (name: string, fn: (message: unknown) => void): void => {
    diagnosticsChannel.subscribe(name, fn);
    unsubscribe.push(() => diagnosticsChannel.unsubscribe(name, fn));
  };
  // Payload shapes: src/engine/diagnostics.ts.
  const isServer = (m: unknown): boolean =>
    (m as { socket?: { isServer?: unknown } } | null)?.socket?.isServer !== false;
  subscribe(DiagnosticsChannel.OPEN, (m) => {
    if (isServer(m)) sink.opened();
  });
  subscribe(DiagnosticsChannel.CLOSE, (m) => {
    if (!isServer(m)) return;
    // Counted by the code the closing end decided (a Close 4010 the peer never answered is a 4010, not a 1006).
    const { code, decidedCode, durationMs } = (m ?? {}) as {
      code?: unknown;
      decidedCode?: unknown;
      durationMs?: unknown;
    };
    const counted =
      typeof decidedCode === 'number' ? decidedCode : typeof code === 'number' ? code : CloseCode.ABNORMAL_CLOSURE;
    sink.closed(counted, typeof durationMs === 'number' ? durationMs : undefined);
  });
  subscribe(DiagnosticsChannel.HANDSHAKE_REJECTED, (m) => {
    const { reason } = (m ?? {}) as { reason?: unknown };
    // The accept hook reports its own, finer reason (e.g. `expired`) through Metrics.handshakeRejected().
    if (reason === 'WS_ERR_REJECTED_BY_HOOK') return;
    sink.handshakeRejected(reason);
  });
  subscribe(DiagnosticsChannel.SLOW_CONSUMER, (m) => {
    const { action } = (m ?? {}) as { action?: unknown };
    sink.slowConsumer(action);
  });
  return unsubscribe;
}

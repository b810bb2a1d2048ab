// Node binding: engine instrumentation through node:diagnostics_channel; publishes only when someone listens.
import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * Channel names the engine publishes on. Metrics and logs subscribe with
 * `diagnostics_channel.subscribe(name, fn)`, so the engine depends on neither (UN).
 *
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * diagnosticsChannel.subscribe(DiagnosticsChannel.CLOSE, (msg) => console.log(msg));
 * ```
 */
export const DiagnosticsChannel = {
  /** `{ socket: WebSocket, remoteAddress, protocol, role }` after the handshake succeeded. */
  OPEN: 'switchboard:engine:open',
  /**
   * `{ socket: WebSocket, code, decidedCode, reason, wasClean, durationMs }` when the TCP connection closed.
   * `code` is the close event's (1006 when no Close came back); `decidedCode` the code of the end that closed
   * first (our Close's code when we sent one, else the peer's, else 1006): what to count closes by.
   */
  CLOSE: 'switchboard:engine:close',
  /** `{ status, reason, remoteAddress, url }` when the server answered an upgrade with an HTTP error; `url` is the path without the query (tokens stay out). */
  HANDSHAKE_REJECTED: 'switchboard:engine:handshake-rejected',
  /** `{ socket: WebSocket, rttMs }` when a heartbeat pong arrived. */
  PING: 'switchboard:engine:ping',
  /** `{ socket: WebSocket, policy, bufferedAmount, action }` when a send crossed the high-water mark. */
  SLOW_CONSUMER: 'switchboard:engine:slow-consumer',
  /** `{ socket: WebSocket | null, error }` for socket errors and protocol failures. */
  ERROR: 'switchboard:engine:error',
} as const;

/** Message of {@link DiagnosticsChannel.HANDSHAKE_REJECTED}. */
export interface HandshakeRejectedMessage {
  readonly status: number;
  readonly reason: string;
  readonly remoteAddress: string;
  /** The request path, without the query string. */
  readonly url: string;
}

/** @internal The channel objects, created once so publishing costs one property read. */
export const channels = {
  open: diagnosticsChannel.channel(DiagnosticsChannel.OPEN),
  close: diagnosticsChannel.channel(DiagnosticsChannel.CLOSE),
  handshakeRejected: diagnosticsChannel.channel(DiagnosticsChannel.HANDSHAKE_REJECTED),
  ping: diagnosticsChannel.channel(DiagnosticsChannel.PING),
  slowConsumer: diagnosticsChannel.channel(DiagnosticsChannel.SLOW_CONSUMER),
  error: diagnosticsChannel.channel(DiagnosticsChannel.ERROR),
} as const;

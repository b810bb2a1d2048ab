// Realtime: binds an engine WebSocket to a session: frames in, close in; the WebSocket itself is the session's transport.
import { WebSocket } from '../engine/index.ts';
import type { Session } from './session.ts';
import type { SessionTransport } from './transport.ts';

/**
 * Hands a WebSocket's frames and its close to the session that speaks over it.
 * @param ws The open server-side WebSocket (the session's transport).
 * @param session The session.
 */
export function attachWebSocket(ws: WebSocket, session: Session): void {
  ws.addEventListener('message', (event) => session.receive(event.data as string | Uint8Array));
  ws.addEventListener('close', (event) => session.transportClosed(event.code, event.reason));
  // Errors end in a close event; the session learns of the end there.
  ws.addEventListener('error', () => {});
}

/**
 * Sends one encoded frame to many transports: WebSockets through the engine's broadcast, which builds the frame once
 * for all of them; any other transport by its own `send`.
 * @param broadcast The engine server's broadcast.
 * @param frame The encoded message.
 * @param transports The recipients.
 * @returns How many queued the frame.
 */
export function broadcastFrame(
  broadcast: (frame: string | Uint8Array, sockets: Iterable<WebSocket>) => number,
  frame: string | Uint8Array,
  transports: Iterable<SessionTransport>,
): number {
  const others: SessionTransport[] = [];
  function* sockets(): Generator<WebSocket> {
    for (const transport of transports) {
      if (transport instanceof WebSocket) yield transport;
      else others.push(transport);
    }
  }
  let count = broadcast(frame, sockets());
  for (const transport of others) {
    if (transport.send(frame) !== false) count++;
  }
  return count;
}

// Realtime: binds an engine WebSocket to a session: frames in, close in; the WebSocket itself is the session's transport.
import type { WebSocket } from '../engine/index.ts';
import type { Session } from './session.ts';

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

// Realtime: the engine WebSocket as a session transport: its frames and close go to the session; fan-out across kinds.
import { WebSocket, type WebSocketCloseEvent, type WebSocketMessageEvent } from '../engine/index.ts';
import type { Session } from './session.ts';
import type { SessionTransport } from './transport.ts';

/**
 * Hands a WebSocket's frames and its close to the session that speaks over it. The socket's `context` (the handshake's,
 * read by then) becomes the session, and its handler properties are two functions shared by every connection: no
 * closure and no listener list per connection (about 1 KiB of an idle connection's heap, bench/conn-heap.mjs).
 * Errors end in a close event; the session learns of the end there.
 * @param ws The open server-side WebSocket (the session's transport).
 * @param session The session.
 */
export function attachWebSocket(ws: WebSocket, session: Session): void {
  ws.context = session;
  ws.onmessage = onSessionMessage;
  ws.onclose = onSessionClose;
}

/** The session a socket was attached to by {@link attachWebSocket}. */
function sessionOf(ws: WebSocket): Session {
  return ws.context as Session;
}

function onSessionMessage(this: WebSocket, event: WebSocketMessageEvent): void {
  sessionOf(this).receive(event.data as string | Uint8Array);
}

function onSessionClose(this: WebSocket, event: WebSocketCloseEvent): void {
  sessionOf(this).transportClosed(event.code, event.reason);
}

/**
 * Sends one encoded frame to transports of mixed kinds: the WebSockets through the engine's broadcast (one frame built
 * for all of them), every other transport by its own `send`. It checks each recipient, so the hub uses it only while
 * some session speaks over another transport.
 * @param broadcast The engine server's broadcast.
 * @param frame The encoded message.
 * @param transports The recipients.
 * @returns How many queued the frame.
 */
export function broadcastMixed(
  broadcast: (frame: string | Uint8Array, sockets: Iterable<WebSocket>) => number,
  frame: string | Uint8Array,
  transports: Iterable<SessionTransport>,
): number {
  const sockets: WebSocket[] = [];
  const others: SessionTransport[] = [];
  for (const transport of transports) {
    if (transport instanceof WebSocket) sockets.push(transport);
    else others.push(transport);
  }
  let count = sockets.length === 0 ? 0 : broadcast(frame, sockets);
  for (const transport of others) {
    if (transport.send(frame) !== false) count++;
  }
  return count;
}

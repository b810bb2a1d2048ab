// Node binding: `switchboard/ws`, a drop-in for the `ws` package's API over the engine: change the import, keep the code.
import { createWebSocketStream } from './ws-compat/stream.ts';
import { WebSocketServer } from './ws-compat/server.ts';
import { WebSocket } from './ws-compat/websocket.ts';

export { createWebSocketStream } from './ws-compat/stream.ts';
export { WebSocketServer } from './ws-compat/server.ts';
export type {
  VerifyClient,
  VerifyClientCallback,
  VerifyClientInfo,
  WsHandleProtocols,
  WsServerOptions,
} from './ws-compat/server.ts';
export { WebSocket } from './ws-compat/websocket.ts';
export type { WsClientOptions } from './ws-compat/client-options.ts';
export type { WsPerMessageDeflateOptions } from './ws-compat/deflate-options.ts';
export { WsCloseEvent, WsErrorEvent, WsEvent, WsMessageEvent } from './ws-compat/event-target.ts';
export type { WsEventListener } from './ws-compat/event-target.ts';
export type { WsBinaryType, WsData, WsMessageData, WsResponseLike, WsSendOptions } from './ws-compat/websocket.ts';

/** ws's default export: the WebSocket class carrying the rest as static properties. */
export type WsDefaultExport = typeof WebSocket & {
  readonly WebSocket: typeof WebSocket;
  readonly WebSocketServer: typeof WebSocketServer;
  /** ws's older name of WebSocketServer. */
  readonly Server: typeof WebSocketServer;
  readonly createWebSocketStream: typeof createWebSocketStream;
};

Object.defineProperties(WebSocket, {
  WebSocket: { value: WebSocket, enumerable: true },
  WebSocketServer: { value: WebSocketServer, enumerable: true },
  Server: { value: WebSocketServer, enumerable: true },
  createWebSocketStream: { value: createWebSocketStream, enumerable: true },
});

/**
 * The same shape as `ws`'s default export, so both import styles work unchanged:
 * @example
 * ```ts
 * import WebSocket, { WebSocketServer } from 'switchboard/ws';
 * const wss = new WebSocket.Server({ port: 0 }); // also `new WebSocketServer(...)`
 * ```
 */
const ws = WebSocket as WsDefaultExport;
export default ws;

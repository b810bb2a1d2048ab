// Node binding of the sans-I/O core: sockets, timers, the server and the client. The only file other layers import.

export { WebSocketServer } from './server.ts';
export type { RejectedUpgrade, ServerCloseOptions, ServerOptions } from './server.ts';
export { UPGRADE_REJECT_REASONS } from './upgrade.ts';
export type {
  AcceptHook,
  AcceptOk,
  AcceptReject,
  AcceptResult,
  HandleProtocols,
  UpgradeRejectReason,
} from './upgrade.ts';
export { WebSocket } from './websocket.ts';
export type { BinaryType, ReadyState, WebSocketRequest } from './websocket.ts';
export { WebSocketCloseEvent, WebSocketErrorEvent, WebSocketEvent, WebSocketMessageEvent } from './events.ts';
export type { WebSocketListener } from './events.ts';
export { connect, createWebSocket } from './client.ts';
export type {
  DeflateEngineOptions,
  PerMessageDeflateClientOptions,
  PerMessageDeflateServerOptions,
} from './deflate-config.ts';
export type { ClientOptions, HandshakeResponse } from './client.ts';
export { TrustedProxies } from './trusted-proxies.ts';
export { closeAll } from './shutdown.ts';
export type { CloseAllOptions } from './shutdown.ts';
export type { SlowConsumerPolicy } from './socket-binding.ts';
export { DiagnosticsChannel } from './diagnostics.ts';
export type { HandshakeRejectedMessage } from './diagnostics.ts';
export { CloseCode, HandshakeError, InvalidStateError, ProtocolError } from '../protocol/index.ts';

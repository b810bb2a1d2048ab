// Node-free, schema-free application protocol: the entry for code that must not carry zod or msgpackr (the browser
// client). Everything here is also exported by index.ts under the same name.
export { ErrorCode, ERROR_CODE_DESCRIPTIONS, DisconnectCode, DISCONNECT_INFO, shouldReconnect } from './errors.ts';
export { RfcCloseCode } from './rfc-close-code.ts';
export { Limits, isValidChannelName, channelNamespace, isPrintableString } from './limits.ts';
export { isForbiddenKey, exceedsJsonDepth, checkJsonValue, utf8Length } from './safe-value.ts';
export { Subprotocol, selectSubprotocol } from './subprotocol.ts';
export { toPublicationWire, toPublicationMessage, type StoredPublication } from './publication-wire.ts';
export { validateServerValue, decodeServerJson } from './server-validator.ts';
export { assertNever } from './assert-never.ts';
export { RPC_METHOD_NAME } from './limits.ts';
export type {
  JsonValue,
  StreamPosition,
  Publication,
  PresenceUser,
  ServerMessage,
  SingleClientMessage,
  ClientMessage,
  ConnectedMessage,
  SubscribedMessage,
  UnsubscribedMessage,
  PublicationMessage,
  PublicationsMessage,
  BatchedPublication,
  JoinMessage,
  LeaveMessage,
  TypingEventMessage,
  ReplyMessage,
  ErrorMessage,
  DisconnectMessage,
  PublishReply,
  SendReply,
  HistoryReply,
  PresenceReply,
  PingReply,
  RefreshReply,
  EmptyReply,
  Tombstone,
  HistoryItem,
  DeletedMessage,
  DeleteReply,
} from './schemas.ts';
export type { Codec } from './codec.ts';

// Client SDK (Node-free): the only module other layers and the browser bundle import.
export {
  Client,
  type ClientEvents,
  type ClientOptions,
  type ClientState,
  type ClientStats,
  type ReconnectOptions,
  type StateChange,
} from './client.ts';
export { ClientError } from './errors.ts';
export { codecWire, jsonWire, JSON_SUBPROTOCOL, type ClientWire } from './wire.ts';
// One definition with the server's: the schema-free part of switchboard/messages, under the client's names.
export { shouldReconnect as shouldReconnectAfter, validateServerValue } from '../messages/core.ts';
export { Emitter } from './emitter.ts';
export { systemClock, type Clock, type TimerHandle } from './timers.ts';
export { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from './backoff.ts';
export { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';
export {
  FileOutboxStore,
  IndexedDbOutboxStore,
  MemoryOutboxStore,
  Outbox,
  type OutboxEntry,
  type OutboxFileSystem,
  type OutboxFullPolicy,
  type OutboxOptions,
  type OutboxStore,
} from './outbox.ts';
export { Subscription } from './subscription.ts';
export type {
  DeletedEvent,
  GapEvent,
  SubscriptionEvents,
  SubscriptionOptions,
  SubscriptionState,
} from './subscription-events.ts';
export { Room, type RoomStats } from './room.ts';
export type { DocumentChannel, DocumentKind, DocumentMessage } from './document-channel.ts';
export type { FetchFunction } from './http-transport.ts';
export {
  TRANSPORT_KINDS,
  type TransportCloseEvent,
  type TransportFactory,
  type TransportHandler,
  type TransportKind,
  type TransportMessageEvent,
  type TransportSocket,
} from './transport.ts';

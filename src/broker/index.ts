// Broker: the only module other layers import (the Broker contract, its errors and the in-memory implementation).
export type {
  BanRecord,
  Broker,
  BrokerChange,
  BrokerHealth,
  BrokerStatus,
  ChannelEvent,
  ChannelHandler,
  DeleteOptions,
  DeleteResult,
  HistoryOptions,
  HistoryResult,
  LatestResult,
  PresenceEntry,
  PresenceUser,
  Publication,
  PublishOptions,
  PublishResult,
  StreamPosition,
} from './types.ts';
export { BrokerError, BROKER_ERROR_CODES, type BrokerErrorCode, type BrokerErrorInit } from './errors.ts';
export { MemoryBroker, type MemoryBrokerOptions } from './memory.ts';
export { RedisBroker, type RedisBrokerOptions, type RedisBrokerStats } from './redis.ts';
export type { DocumentStore, StoredDocument } from './document-store.ts';
export {
  openDocumentStore,
  type DocumentStoreSpec,
  DocumentStoreLockedError,
  FileDocumentStore,
  type FileDocumentStoreOptions,
  MemoryDocumentStore,
  PostgresDocumentStore,
  type PostgresDocumentStoreOptions,
  RedisDocumentStore,
  type RedisDocumentStoreOptions,
} from './documents/index.ts';

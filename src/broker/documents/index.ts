// Broker (documents): the document stores and `openDocumentStore`, which opens one from a serve config spec.
import type { DocumentStore } from '../document-store.ts';
import { FileDocumentStore, type FileDocumentStoreOptions } from './file.ts';
import { MemoryDocumentStore } from './memory.ts';
import { PostgresDocumentStore, type PostgresDocumentStoreOptions } from './postgres.ts';
import { RedisDocumentStore, type RedisDocumentStoreOptions } from './redis.ts';

export { FileDocumentStore, type FileDocumentStoreOptions } from './file.ts';
export { MemoryDocumentStore } from './memory.ts';
export { PostgresDocumentStore, type PostgresDocumentStoreOptions } from './postgres.ts';
export { RedisDocumentStore, type RedisDocumentStoreOptions } from './redis.ts';
export { documentFileName } from './file-names.ts';
export { DocumentStoreLockedError, LOCK_FILE, type LockOwner } from './file-lock.ts';

/** Which store holds documents, and where. */
export type DocumentStoreSpec =
  | { readonly kind: 'memory' }
  | ({ readonly kind: 'file' } & FileDocumentStoreOptions)
  | ({ readonly kind: 'redis' } & RedisDocumentStoreOptions)
  | ({ readonly kind: 'postgres' } & PostgresDocumentStoreOptions);

/**
 * Opens the store `spec` names, ready to use (its directory created, its connection up, its tables created).
 * @throws BrokerError `BROKER_UNAVAILABLE` when Redis or PostgreSQL cannot be reached
 */
export async function openDocumentStore(spec: DocumentStoreSpec): Promise<DocumentStore> {
  switch (spec.kind) {
    case 'memory':
      return new MemoryDocumentStore();
    case 'file':
      return FileDocumentStore.open(spec);
    case 'redis':
      return RedisDocumentStore.connect(spec);
    case 'postgres':
      return PostgresDocumentStore.connect(spec);
  }
}

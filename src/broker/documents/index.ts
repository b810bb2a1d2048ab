// Broker: the document stores (the contract is `../document-store.ts`) and the factory that opens one from a spec.
import type { DocumentStore } from '../document-store.ts';
import { MemoryDocumentStore } from './memory.ts';

export { MemoryDocumentStore } from './memory.ts';

/** Which store to open, as the serve configuration's `documents` section names it. */
export type DocumentStoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly dir: string }
  | { readonly kind: 'redis'; readonly url: string; readonly prefix?: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly table?: string };

/**
 * Opens a document store.
 * @param spec Which store, with its connection settings.
 * @returns The open store; close it with `store.close()`.
 */
export async function openDocumentStore(spec: DocumentStoreSpec): Promise<DocumentStore> {
  switch (spec.kind) {
    case 'memory':
      return new MemoryDocumentStore();
    default:
      // The file, Redis and PostgreSQL stores live in their own modules (src/broker/documents/), added beside this one.
      throw new Error(`Cannot open the ${spec.kind} document store: not available in this build`);
  }
}

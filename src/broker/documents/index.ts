// Broker: the document stores (the contract is `../document-store.ts`) and the factory that opens one from a spec.
import type { DocumentStore } from '../document-store.ts';
import { MemoryDocumentStore } from './memory.ts';

export { MemoryDocumentStore } from './memory.ts';

/** Which store to open, as the serve configuration's `documents` section names it. */
export type DocumentStoreSpec = { readonly kind: 'memory' };

/**
 * Opens a document store.
 * @param spec Which store, with its connection settings.
 * @returns The open store; close it with `store.close()`.
 */
export async function openDocumentStore(spec: DocumentStoreSpec): Promise<DocumentStore> {
  switch (spec.kind) {
    case 'memory':
      return new MemoryDocumentStore();
  }
}

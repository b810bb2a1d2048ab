// MemoryDocumentStore against the shared DocumentStore contract.
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { runDocumentStoreContract } from './contract.ts';

runDocumentStoreContract('MemoryDocumentStore', async () => new MemoryDocumentStore());

// CLI: the serve configuration's `documents` section turned into a document store spec and the y-websocket endpoint.
import type { DocumentStoreSpec } from '../broker/index.ts';
import type { Namespaces } from '../realtime/index.ts';
import type { ServerConfig } from './config.ts';

/**
 * The store `documents.store` names, with its settings. A Redis store without its own `url` shares the broker's Redis.
 * @param config The validated configuration (the schema already required what each store needs).
 */
export function documentStoreSpec(config: ServerConfig): DocumentStoreSpec {
  const d = config.documents;
  switch (d.store) {
    case 'memory':
      return { kind: 'memory' };
    case 'file':
      return { kind: 'file', dir: d.dir };
    case 'redis':
      return {
        kind: 'redis',
        url: d.url ?? config.broker.url,
        ...(d.prefix === undefined ? {} : { prefix: d.prefix }),
      };
    case 'postgres':
      return {
        kind: 'postgres',
        connectionString: d.connectionString ?? '',
        ...(d.table === undefined ? {} : { table: d.table }),
      };
  }
}

/**
 * The namespace served at `/yjs/<name>`: `documents.yjsNamespace` when it names a document namespace, else null (no
 * endpoint: a configuration without documents serves no y-websocket path).
 * @param config The validated configuration.
 * @param namespaces The namespaces built from it.
 */
export function yjsNamespaceFrom(config: ServerConfig, namespaces: Namespaces): string | null {
  const name = config.documents.yjsNamespace;
  return name !== '' && namespaces.get(name)?.document === true ? name : null;
}

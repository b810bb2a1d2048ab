// HTTP: the Prometheus metrics of collaborative documents, read from the hub's document figures at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DocumentStats } from '../realtime/index.ts';

/** Documents loaded, peers holding them, and the updates applied (counters advanced by the change since the last scrape). */
export class DocumentMetrics {
  readonly #loaded: Gauge;
  readonly #hibernated: Gauge;
  readonly #peers: Gauge;
  readonly #updates: Counter;
  readonly #bytes: Counter;
  #last = { updates: 0, bytes: 0 };

  /**
   * @param registry Where they are registered.
   * @param prefix Prefix of their names (`switchboard_`).
   */
  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.#loaded = new Gauge({
      name: `${prefix}documents_loaded`,
      help: 'Collaborative documents loaded on this node (open, or idle until documentIdleUnloadMs)',
      registers,
    });
    this.#hibernated = new Gauge({
      name: `${prefix}documents_hibernated`,
      help: 'Of the documents loaded, those in the encoded form: held as Yjs updates without a Y.Doc (documentHibernateMs)',
      registers,
    });
    this.#peers = new Gauge({
      name: `${prefix}document_peers`,
      help: 'Connections holding a document open on this node (Switchboard protocol and /yjs)',
      registers,
    });
    this.#updates = new Counter({
      name: `${prefix}document_updates_total`,
      help: 'Yjs updates applied to documents loaded on this node (from its clients, other nodes and the store)',
      registers,
    });
    this.#bytes = new Counter({
      name: `${prefix}document_update_bytes_total`,
      help: 'Bytes of the Yjs updates applied to documents loaded on this node',
      registers,
    });
  }

  /**
   * Sets the gauges and advances the counters from the hub's figures.
   * @param stats The document figures of `RealtimeServer#stats()`.
   */
  set(stats: DocumentStats): void {
    this.#loaded.set(stats.documents);
    this.#hibernated.set(stats.documentsHibernated);
    this.#peers.set(stats.documentPeers);
    this.#updates.inc(Math.max(0, stats.documentUpdates - this.#last.updates));
    this.#bytes.inc(Math.max(0, stats.documentUpdateBytes - this.#last.bytes));
    this.#last = { updates: stats.documentUpdates, bytes: stats.documentUpdateBytes };
  }
}

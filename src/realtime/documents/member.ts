// Realtime documents: a peer of one loaded document, with its per-document state (rate limits, greeting, the
// awareness client ids it set).
import type { NamespaceConfig } from '../namespaces.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { DocumentPeer } from './peer.ts';

/** A peer with its per-document state; what only awareness needs is created on the peer's first awareness update. */
export class Member {
  readonly peer: DocumentPeer;
  readonly updates: TokenBucket;
  /** Whether it has been sent the server's `sync1` (sent once the document is loaded). */
  greeted = false;
  readonly #config: NamespaceConfig;
  #awarenessIds: Set<number> | null = null;
  #awarenessRate: TokenBucket | null = null;

  /**
   * @param peer The connection.
   * @param config The document's namespace configuration (rate limits).
   */
  constructor(peer: DocumentPeer, config: NamespaceConfig) {
    this.peer = peer;
    this.#config = config;
    this.updates = new TokenBucket({
      ratePerSecond: config.documentUpdatesPerSecond,
      burst: 2 * config.documentUpdatesPerSecond,
    });
  }

  /** Awareness client ids this peer set (removed and broadcast when it leaves). */
  get awarenessIds(): Set<number> {
    this.#awarenessIds ??= new Set();
    return this.#awarenessIds;
  }

  /** Whether this peer set awareness client id `id` (creates nothing). */
  setAwareness(id: number): boolean {
    return this.#awarenessIds?.has(id) ?? false;
  }

  /** The awareness ids this peer set (creates nothing). */
  ownAwarenessIds(): number[] {
    return this.#awarenessIds === null ? [] : [...this.#awarenessIds];
  }

  /** The peer's awareness update rate limit. */
  get awarenessRate(): TokenBucket {
    this.#awarenessRate ??= new TokenBucket({
      ratePerSecond: this.#config.awarenessUpdatesPerSecond,
      burst: 2 * this.#config.awarenessUpdatesPerSecond,
    });
    return this.#awarenessRate;
  }
}

// Realtime documents: a peer of one loaded document, with its per-document state (rate limits, greeting, the
// awareness client ids it set).
import type { NamespaceConfig } from '../namespaces.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { DocumentPeer } from './peer.ts';

const MS_PER_SECOND = 1000;

/** A peer with its per-document state; what only awareness needs is created on the peer's first awareness update. */
export class Member {
  readonly peer: DocumentPeer;
  /**
   * The update rate limit, a token bucket as {@link TokenBucket} (rate `documentUpdatesPerSecond`, burst twice that)
   * held in two fields: a TokenBucket object per member repeated the namespace's limits (~60 bytes per member).
   */
  #updateTokens: number;
  #updatesRefilledAt: number;
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
    this.#updateTokens = 2 * config.documentUpdatesPerSecond;
    this.#updatesRefilledAt = Date.now();
  }

  /**
   * Takes one update from the peer's rate limit.
   * @returns Whether the update may be applied.
   */
  tryUpdate(): boolean {
    const rate = this.#config.documentUpdatesPerSecond;
    const burst = 2 * rate;
    const now = Date.now();
    const elapsedMs = now - this.#updatesRefilledAt;
    // A clock that goes backwards adds nothing rather than removing tokens.
    if (elapsedMs > 0) {
      this.#updateTokens = Math.min(burst, this.#updateTokens + (elapsedMs * rate) / MS_PER_SECOND);
      this.#updatesRefilledAt = now;
    }
    // As TokenBucket.tryRemove(1): a cost above the burst passes only from a full bucket.
    if (this.#updateTokens >= 1 || (burst < 1 && this.#updateTokens >= burst)) {
      this.#updateTokens -= 1;
      return true;
    }
    return false;
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

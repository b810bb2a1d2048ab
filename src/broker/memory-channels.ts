// Broker: the MemoryBroker's table of channels: each channel's record (stream position, history ring, latest keys,
// handlers, presence), created on first use with a new epoch, kept in LRU order, bounded by evicting idle channels
// and dropped when idle.
import { newEpoch } from './checks.ts';
import { type HistoryRing, expireHistory } from './memory-history.ts';
import { type LatestKeys, expireLatest, latestSize } from './memory-latest.ts';
import type { ChannelPresence } from './memory-presence.ts';
import type { ChannelHandler } from './types.ts';

/** One channel: its stream position, history ring, handlers and presence. */
export interface ChannelState extends HistoryRing, ChannelPresence, LatestKeys {
  readonly name: string;
  readonly epoch: string;
  top: number;
  readonly handlers: Set<ChannelHandler>;
}

/** Drops a channel's expired history and latest keys. */
export function expireChannel(state: ChannelState, now: number): void {
  expireHistory(state, now);
  expireLatest(state, now);
}

/** The channels of one MemoryBroker, at most `maxChannels`. */
export class MemoryChannels {
  readonly #channels = new Map<string, ChannelState>();
  readonly #maxChannels: number;
  readonly #now: () => number;

  /**
   * @param maxChannels Most channels held (at least 1).
   * @param now Clock, in ms since the Unix epoch.
   */
  constructor(maxChannels: number, now: () => number) {
    this.#maxChannels = maxChannels;
    this.#now = now;
  }

  /** Channels held. */
  get size(): number {
    return this.#channels.size;
  }

  /** The channel, if held; does not create it. */
  get(name: string): ChannelState | undefined {
    return this.#channels.get(name);
  }

  /** Every channel held, least recently used first. */
  values(): IterableIterator<ChannelState> {
    return this.#channels.values();
  }

  /** Forgets every channel. */
  clear(): void {
    this.#channels.clear();
  }

  /**
   * The channel, created (with a new epoch) when not held.
   * @param touch Marks it most recently used.
   */
  open(name: string, touch: boolean): ChannelState {
    let state = this.#channels.get(name);
    if (state !== undefined) {
      if (touch) {
        // Map order doubles as LRU order for eviction.
        this.#channels.delete(name);
        this.#channels.set(name, state);
      }
      return state;
    }
    if (this.#channels.size >= this.#maxChannels) this.#evict();
    state = {
      name,
      epoch: newEpoch(),
      top: 0,
      history: [],
      head: 0,
      handlers: new Set(),
      presence: new Map(),
      users: new Map(),
      latest: null,
    };
    this.#channels.set(name, state);
    return state;
  }

  /** Drops the channel when it has no handler, no presence and no retained publication. */
  dropIfIdle(state: ChannelState, now: number): void {
    if (state.handlers.size > 0 || state.presence.size > 0) return;
    expireChannel(state, now);
    if (state.history.length - state.head === 0 && latestSize(state) === 0 && this.#channels.get(state.name) === state)
      this.#channels.delete(state.name);
  }

  /**
   * Makes room for one more channel: first drops the least recently used channels that hold nothing (no
   * handler, presence or retained publication: what a flood of reads of made-up names creates), then, only
   * if still full, idle channels with history, which later recoveries report as `recovered: false`.
   */
  #evict(): void {
    const now = this.#now();
    for (const keepHistory of [true, false]) {
      for (const state of this.#channels.values()) {
        if (this.#channels.size < this.#maxChannels) return;
        if (state.handlers.size > 0 || state.presence.size > 0) continue;
        expireChannel(state, now);
        if (keepHistory && (state.history.length > state.head || latestSize(state) > 0)) continue;
        this.#channels.delete(state.name);
      }
    }
  }
}

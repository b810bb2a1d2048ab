// Broker: the MemoryBroker's table of channels: each channel's record (stream position, history ring, latest keys,
// handlers, presence), created on first use with a new epoch, kept in LRU order, bounded by evicting idle channels
// and dropped when idle. A record holds only what it uses: one handler is held as is (a set from the second on), and
// presence and latest keys exist while they have entries, so an idle or singly subscribed channel stays small.
import { newEpoch } from './checks.ts';
import type { Handlers } from './memory-delivery.ts';
import { type HistoryRing, NO_HISTORY, expireHistory } from './memory-history.ts';
import { type LatestKeys, expireLatest, latestSize } from './memory-latest.ts';
import { type ChannelPresence, presenceSize } from './memory-presence.ts';
import type { ChannelHandler } from './types.ts';

/** One channel: its stream position, history ring, handlers and presence. */
export interface ChannelState extends HistoryRing, ChannelPresence, LatestKeys {
  readonly name: string;
  readonly epoch: string;
  top: number;
  handlers: Handlers;
}

/** Number of handlers. */
export function handlerCount(state: ChannelState): number {
  const { handlers } = state;
  return handlers === null ? 0 : typeof handlers === 'function' ? 1 : handlers.size;
}

/** Adds a handler (a no-op for one already there). */
export function addHandler(state: ChannelState, handler: ChannelHandler): void {
  const { handlers } = state;
  if (handlers === null) state.handlers = handler;
  else if (typeof handlers !== 'function') handlers.add(handler);
  else if (handlers !== handler) state.handlers = new Set([handlers, handler]);
}

/** Removes a handler; true when it was there. */
export function removeHandler(state: ChannelState, handler: ChannelHandler): boolean {
  const { handlers } = state;
  if (handlers === null) return false;
  if (typeof handlers === 'function') {
    if (handlers !== handler) return false;
    state.handlers = null;
    return true;
  }
  if (!handlers.delete(handler)) return false;
  if (handlers.size === 1) state.handlers = handlers.values().next().value!;
  return true;
}

/** Whether the channel must be kept whatever its history: a handler or presence uses it. */
function inUse(state: ChannelState): boolean {
  return state.handlers !== null || presenceSize(state) > 0;
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
      history: NO_HISTORY,
      head: 0,
      handlers: null,
      presence: null,
      users: null,
      latest: null,
    };
    this.#channels.set(name, state);
    return state;
  }

  /** Drops the channel when it has no handler, no presence and no retained publication. */
  dropIfIdle(state: ChannelState, now: number): void {
    if (inUse(state)) return;
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
        if (inUse(state)) continue;
        expireChannel(state, now);
        if (keepHistory && (state.history.length > state.head || latestSize(state) > 0)) continue;
        this.#channels.delete(state.name);
      }
    }
  }
}

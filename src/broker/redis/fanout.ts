// Broker (Redis): pub/sub fan-out on one subscriber connection per node, gapless across reconnects and lost messages.
import type { Redis } from 'ioredis';
import type {
  ChannelEvent,
  ChannelHandler,
  HistoryOptions,
  HistoryResult,
  Publication,
  StreamPosition,
} from '../types.ts';
import { parseMessage } from './keys.ts';

/** What the fan-out needs from its broker. */
export interface FanoutDeps {
  /** The node's subscriber connection (subscribe mode only). */
  readonly subscriber: Redis;
  /** SSUBSCRIBE / SPUBLISH instead of SUBSCRIBE / PUBLISH. */
  readonly sharded: boolean;
  /** The pub/sub channel name of a channel. */
  pubsubName(channel: string): string;
  /** Reads history through the command connection (rejects with a BrokerError when Redis fails). */
  history(channel: string, options: HistoryOptions): Promise<HistoryResult>;
  /** Reports a throwing handler or a background failure. */
  error(error: Error): void;
  /** Whether the broker is closed (background retries stop). */
  isClosed(): boolean;
  /** Publications read per history page while catching up. */
  readonly pageSize: number;
  /** Events buffered per channel while catching up; beyond it queued publications are dropped and re-read from history. */
  readonly maxBuffered: number;
}

/** Counters of the fan-out, for stats and tests. */
export interface FanoutStats {
  /** Publications delivered from history to fill a gap (lost pub/sub messages or a reconnect). */
  recovered: number;
  /** Live publications dropped because history had already delivered them. */
  duplicatesDropped: number;
  /** Gaps history could not fill (trimmed or expired, or a channel without history). */
  unrecoverableGaps: number;
  /** Times a channel's epoch changed under a subscription (the store lost its history). */
  epochChanges: number;
  /** Catch-ups run after the subscriber connection came back. */
  resyncs: number;
}

type Item =
  | { readonly kind: 'event'; readonly event: ChannelEvent }
  | { readonly kind: 'init'; readonly position: StreamPosition }
  | { readonly kind: 'resync' };

interface Feed {
  readonly channel: string;
  readonly pubsub: string;
  readonly handlers: Set<ChannelHandler>;
  /** The last publication delivered (or the top when the subscription started); null before either. */
  position: StreamPosition | null;
  queue: Item[];
  busy: boolean;
  ready: Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Channel subscriptions of one node: one Redis subscription per channel, shared by its handlers (ref-counted
 * by the handler set). Delivery per channel is in offset order without gaps or repeats: a publication whose
 * offset jumps ahead makes the feed read the missing ones from history first; after the subscriber connection
 * comes back (ioredis resubscribes by itself), every channel catches up from its last delivered offset. Live
 * events that arrive meanwhile wait in the channel's queue.
 */
export class Fanout {
  readonly #deps: FanoutDeps;
  readonly #feeds = new Map<string, Feed>();
  readonly #byPubsub = new Map<string, Feed>();
  /** Pub/sub channels whose unsubscribe failed: retried when the connection is back. */
  readonly #stale = new Set<string>();
  #connectedOnce = false;
  readonly stats: FanoutStats = {
    recovered: 0,
    duplicatesDropped: 0,
    unrecoverableGaps: 0,
    epochChanges: 0,
    resyncs: 0,
  };

  /** @param deps The broker's services. */
  constructor(deps: FanoutDeps) {
    this.#deps = deps;
    const onMessage = (pubsub: Buffer, message: Buffer): void => this.#onMessage(pubsub, message);
    deps.subscriber.on(deps.sharded ? 'smessageBuffer' : 'messageBuffer', onMessage);
    deps.subscriber.on('ready', () => this.#onReady());
  }

  /** Number of channels subscribed on this node. */
  get channels(): number {
    return this.#feeds.size;
  }

  /**
   * @param channel Channel name.
   * @returns Whether the channel has at least one handler on this node.
   */
  has(channel: string): boolean {
    return this.#feeds.has(channel);
  }

  /** Number of handlers over all channels. */
  get handlers(): number {
    let n = 0;
    for (const feed of this.#feeds.values()) n += feed.handlers.size;
    return n;
  }

  /**
   * Adds a handler; the first handler of a channel subscribes in Redis and reads the channel's top.
   * @param channel Channel name.
   * @param handler The handler.
   */
  async subscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const existing = this.#feeds.get(channel);
    if (existing !== undefined) {
      existing.handlers.add(handler);
      return existing.ready;
    }
    const pubsub = this.#deps.pubsubName(channel);
    const feed: Feed = {
      channel,
      pubsub,
      handlers: new Set([handler]),
      position: null,
      queue: [],
      busy: false,
      ready: Promise.resolve(),
    };
    this.#feeds.set(channel, feed);
    this.#byPubsub.set(pubsub, feed);
    this.#stale.delete(pubsub);
    feed.ready = this.#start(feed);
    return feed.ready;
  }

  /**
   * Removes a handler; the last one unsubscribes in Redis. No event reaches the handler after this call.
   * @param channel Channel name.
   * @param handler The handler.
   */
  async unsubscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const feed = this.#feeds.get(channel);
    if (feed === undefined || !feed.handlers.delete(handler) || feed.handlers.size > 0) return;
    this.#forget(feed);
    await this.#unsubscribeRedis(feed.pubsub);
  }

  /** Drops every subscription (the broker is closing). */
  clear(): void {
    this.#feeds.clear();
    this.#byPubsub.clear();
  }

  async #start(feed: Feed): Promise<void> {
    const { subscriber, sharded } = this.#deps;
    try {
      await (sharded ? subscriber.ssubscribe(feed.pubsub) : subscriber.subscribe(feed.pubsub));
      // Publications from now on arrive live; the top read after this bounds what came before.
      const top = await this.#deps.history(feed.channel, { limit: 0 });
      this.#push(feed, { kind: 'init', position: { epoch: top.epoch, offset: top.offset } });
    } catch (err) {
      if (this.#feeds.get(feed.channel) === feed) {
        this.#forget(feed);
        void this.#unsubscribeRedis(feed.pubsub);
      }
      throw err;
    }
  }

  #forget(feed: Feed): void {
    this.#feeds.delete(feed.channel);
    if (this.#byPubsub.get(feed.pubsub) === feed) this.#byPubsub.delete(feed.pubsub);
    feed.queue = [];
  }

  async #unsubscribeRedis(pubsub: string): Promise<void> {
    if (this.#byPubsub.has(pubsub)) return; // subscribed again meanwhile
    const { subscriber, sharded } = this.#deps;
    try {
      await (sharded ? subscriber.sunsubscribe(pubsub) : subscriber.unsubscribe(pubsub));
    } catch {
      // Redis is unreachable: ioredis would resubscribe it on reconnect, so drop it then.
      if (!this.#byPubsub.has(pubsub)) this.#stale.add(pubsub);
    }
  }

  #onMessage(pubsub: Buffer, message: Buffer): void {
    const feed = this.#byPubsub.get(pubsub.toString());
    if (feed === undefined) return;
    let event: ChannelEvent | null;
    try {
      event = parseMessage(feed.channel, message);
    } catch (cause) {
      this.#deps.error(new Error('Cannot decode a pub/sub message: skipped', { cause }));
      return;
    }
    if (event !== null) this.#push(feed, { kind: 'event', event });
  }

  /** The subscriber connection is (back) up: ioredis has re-sent the subscriptions; catch every channel up. */
  #onReady(): void {
    if (!this.#connectedOnce) {
      this.#connectedOnce = true;
      return;
    }
    for (const pubsub of this.#stale) {
      this.#stale.delete(pubsub);
      if (!this.#byPubsub.has(pubsub)) void this.#unsubscribeRedis(pubsub);
    }
    // Redis answers a connection's commands in order: once PING is answered, the re-sent subscriptions are
    // active, so a history read after it misses nothing that the live stream will not bring.
    void this.#resyncAll();
  }

  async #resyncAll(): Promise<void> {
    const { subscriber } = this.#deps;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await subscriber.ping();
        this.stats.resyncs++;
        for (const feed of this.#feeds.values()) this.#push(feed, { kind: 'resync' });
        return;
      } catch {
        // Dropped again: its next 'ready' catches up. Still up (a slow PING): try again shortly.
        if (subscriber.status !== 'ready' || this.#deps.isClosed()) return;
        await sleep(100);
      }
    }
  }

  #push(feed: Feed, item: Item): void {
    if (this.#feeds.get(feed.channel) !== feed) return;
    feed.queue.push(item);
    if (feed.queue.length > this.#deps.maxBuffered) {
      // Catching up takes too long: forget queued events and re-read them from history afterwards.
      feed.queue = [...feed.queue.filter((i) => i.kind === 'init'), { kind: 'resync' }];
    }
    if (!feed.busy) {
      this.#drain(feed).catch((cause: unknown) =>
        this.#deps.error(new Error("Cannot deliver a channel's events: its delivery loop failed", { cause })),
      );
    }
  }

  async #drain(feed: Feed): Promise<void> {
    feed.busy = true;
    try {
      while (feed.queue.length > 0 && this.#feeds.get(feed.channel) === feed) {
        const item = feed.queue.shift()!;
        if (item.kind === 'init') {
          if (feed.position === null) feed.position = item.position;
        } else if (item.kind === 'resync') {
          if (feed.position !== null) await this.#catchUp(feed, feed.position);
        } else if (item.event.type !== 'publication') {
          this.#deliver(feed, item.event);
        } else {
          const p = item.event.publication;
          const at = feed.position;
          if (at === null || (p.epoch === at.epoch && p.offset === at.offset + 1)) {
            this.#deliverPublication(feed, p);
          } else if (p.epoch === at.epoch && p.offset <= at.offset) {
            this.stats.duplicatesDropped++;
          } else {
            // A jump ahead (lost messages) or a new epoch (Redis lost its data): read what is missing first.
            await this.#catchUp(feed, p.epoch === at.epoch ? at : { epoch: p.epoch, offset: 0 });
            const now = feed.position;
            if (now === null || p.epoch !== now.epoch || p.offset > now.offset) this.#deliverPublication(feed, p);
            else this.stats.duplicatesDropped++;
          }
        }
      }
    } finally {
      feed.busy = false;
    }
  }

  /**
   * Delivers everything retained after `from`, page by page, retrying while Redis is unreachable.
   * When `from` is in an older epoch, the current epoch is delivered from its start.
   */
  async #catchUp(feed: Feed, from: StreamPosition): Promise<void> {
    let since = from;
    let delayMs = 50;
    for (let page = 0; page < 10_000; page++) {
      if (this.#feeds.get(feed.channel) !== feed || this.#deps.isClosed()) return;
      let h: HistoryResult;
      try {
        h = await this.#deps.history(feed.channel, { since, limit: this.#deps.pageSize });
      } catch {
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 1000);
        page--;
        continue;
      }
      if (!h.recovered) {
        if (h.epoch !== since.epoch) {
          this.stats.epochChanges++;
          since = { epoch: h.epoch, offset: 0 };
          continue;
        }
        // Same epoch but no longer covered: deliver what is still retained after the position, in order.
        this.stats.unrecoverableGaps++;
        const latest = await this.#deps.history(feed.channel, { limit: this.#deps.pageSize }).catch(() => null);
        for (const p of latest?.publications ?? [])
          if (p.offset > since.offset) this.#deliverPublication(feed, p, true);
        // The position moves only with deliveries: a live publication beyond it is still delivered.
        return;
      }
      for (const p of h.publications) this.#deliverPublication(feed, p, true);
      if (feed.position === null || feed.position.epoch !== h.epoch)
        feed.position = { epoch: h.epoch, offset: since.offset };
      if (h.publications.length < this.#deps.pageSize) return;
      since = feed.position;
    }
  }

  #deliverPublication(feed: Feed, publication: Publication, fromHistory = false): void {
    const at = feed.position;
    if (at !== null && at.epoch === publication.epoch && publication.offset <= at.offset) return;
    if (fromHistory) this.stats.recovered++;
    feed.position = { epoch: publication.epoch, offset: publication.offset };
    this.#deliver(feed, { type: 'publication', publication });
  }

  #deliver(feed: Feed, event: ChannelEvent): void {
    for (const handler of feed.handlers) {
      try {
        handler(event);
      } catch (cause) {
        this.#deps.error(new Error('Cannot deliver an event: a channel handler threw', { cause }));
      }
    }
  }
}

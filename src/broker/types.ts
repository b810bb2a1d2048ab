// Broker: the implementation-neutral contract for fan-out, history with offsets, presence and idempotent publish.

/** A position in a channel's stream: the offset of a publication within an epoch. */
export interface StreamPosition {
  /** Opaque id of the stream's current life; it changes whenever history is lost (restart, store emptied, channel dropped). */
  readonly epoch: string;
  /** Offset of the last publication seen; 0 before the first one. */
  readonly offset: number;
}

/** One publication as stored and fanned out. Fields that are absent are omitted, never `undefined`. */
export interface Publication {
  readonly channel: string;
  readonly epoch: string;
  /** 1 for the first publication of an epoch, then +1 per publication, without gaps. */
  readonly offset: number;
  /** The payload, kept by reference in memory brokers: the caller must not mutate it after publishing. */
  readonly data: unknown;
  /** When the broker accepted it, in ms since the Unix epoch. */
  readonly time: number;
  /** User id of the publisher, if any. */
  readonly sender?: string;
  /** The publisher's message id, if any. */
  readonly id?: string;
  /**
   * Connection id that live fan-out skips (a publish with `echo: false`): it travels between nodes with the
   * publication, and never reaches clients.
   */
  readonly exceptConnection?: string;
  /** The feed key given at publish (a symbol, a sensor id), if any: snapshots and conflation keep the newest per key. */
  readonly key?: string;
  /**
   * Present (true) on a tombstone: the publication at this offset was deleted ({@link Broker.deletePublication}).
   * A tombstone keeps its channel, epoch, offset and time so offsets stay contiguous; its `data` is null and it has
   * no sender or id.
   */
  readonly deleted?: true;
}

/** Options of {@link Broker.publish}. History settings come from the channel's namespace. */
export interface PublishOptions {
  /** Publications retained for this channel (the newest ones); 0 keeps none. */
  readonly historySize: number;
  /** How long each publication is retained, in milliseconds; 0 keeps none. */
  readonly historyTtlMs: number;
  /**
   * Deduplication key, scoped to the channel. Within the window a second publish with the same key is not
   * stored or delivered again and resolves with the first result and `duplicate: true`. Scope it to the
   * publisher (for example `${user}:${messageId}`) so two users' ids cannot collide.
   */
  readonly idempotencyKey?: string;
  /** Deduplication window for this key, in milliseconds. Defaults to the broker's `idempotencyWindowMs`. */
  readonly idempotencyWindowMs?: number;
  /** User id of the publisher, copied into the publication. */
  readonly sender?: string;
  /** The publisher's message id, copied into the publication. */
  readonly id?: string;
  /** Connection id that live fan-out skips, copied into the publication. */
  readonly exceptConnection?: string;
  /**
   * Feed key (a symbol, a sensor id), copied into the publication: snapshots keep the latest publication per key and
   * conflation keeps only the newest queued publication per key (see docs/feeds.md).
   */
  readonly key?: string;
  /**
   * When > 0, the broker also keeps this publication as the latest of its key (publications without a key share one
   * slot, the channel's), for {@link Broker.latest}: at most this many keys per channel, the least recently published
   * forgotten first, each kept for `historyTtlMs`. 0 or absent: nothing is kept (a namespace without snapshots pays
   * nothing).
   */
  readonly latestMaxKeys?: number;
}

/** Result of {@link Broker.latest}. */
export interface LatestResult {
  /** The channel's current epoch. */
  readonly epoch: string;
  /** The channel's top offset. */
  readonly offset: number;
  /** The latest publication of each key still kept, in ascending offset order (deleted ones left out). */
  readonly publications: readonly Publication[];
}

/** Where a publish landed. */
export interface PublishResult {
  readonly epoch: string;
  readonly offset: number;
  /** true when the idempotency key was already used in its window: nothing new was stored or delivered. */
  readonly duplicate: boolean;
}

/** Options of {@link Broker.history}. */
export interface HistoryOptions {
  /**
   * Only publications after this position. When the position is not in the current epoch, is beyond the
   * top, is not a non-negative safe integer, or is older than the retained history, the result has
   * `recovered: false` and no publications; data of another epoch or channel is never returned.
   */
  readonly since?: StreamPosition;
  /** At most this many publications (0: none, only the position). Without `since` the newest ones, with `since` the oldest ones after it. */
  readonly limit?: number;
  /** Only offsets lower than this. */
  readonly before?: number;
}

/** Result of {@link Broker.history}. */
export interface HistoryResult {
  /** The channel's current epoch. */
  readonly epoch: string;
  /** The channel's top offset: the offset of its latest publication (0 if none yet in this epoch). */
  readonly offset: number;
  /** Retained publications in ascending offset order. */
  readonly publications: readonly Publication[];
  /**
   * With `since`: true when the position is valid and nothing between it and the first returned publication
   * is missing (when `limit` cut the list, the caller continues from the last one). Always false without `since`.
   */
  readonly recovered: boolean;
}

/** One connection present in a channel. */
export interface PresenceEntry {
  /** Connection id, unique across nodes. */
  readonly connection: string;
  /** User id. */
  readonly user: string;
  /** Public info about the user (from the token), shown to others. */
  readonly info?: unknown;
}

/** Presence aggregated per user. */
export interface PresenceUser {
  readonly user: string;
  /** How many of the user's connections are in the channel (on every node). */
  readonly connections: number;
  /** Info of the user's most recently added connection. */
  readonly info?: unknown;
}

/** What a channel subscriber receives, in order. */
export type ChannelEvent =
  | { readonly type: 'publication'; readonly publication: Publication }
  /** A user's first connection entered the channel's presence. */
  | { readonly type: 'join'; readonly channel: string; readonly user: string; readonly info?: unknown }
  /** A user's last connection left the channel's presence. */
  | { readonly type: 'leave'; readonly channel: string; readonly user: string; readonly info?: unknown }
  /** An ephemeral message ({@link Broker.signal}): not stored, no offset. */
  | { readonly type: 'signal'; readonly channel: string; readonly data: unknown }
  /** The publication at `offset` was deleted: it is a tombstone in history from now on. */
  | { readonly type: 'deleted'; readonly channel: string; readonly epoch: string; readonly offset: number };

/**
 * Receives a channel's events. Called synchronously by the broker's delivery loop: it must not block, and
 * an exception it throws is reported on the broker's `error` event without affecting other handlers.
 */
export type ChannelHandler = (event: ChannelEvent) => void;

/** Options of {@link Broker.deletePublication}. */
export interface DeleteOptions {
  /** Only in this epoch: another epoch answers `not_found` (the offset names another publication there). */
  readonly epoch?: string;
  /** Only when the stored publication's sender is this user (an author deleting their own); else `not_sender`. */
  readonly onlySender?: string;
}

/** Result of {@link Broker.deletePublication}. */
export interface DeleteResult {
  /**
   * `deleted`: it was there and is a tombstone now (subscribers got a `deleted` event); `already_deleted`: it was a
   * tombstone already (no event); `not_found`: no retained publication at that offset (never published, trimmed,
   * expired, or another epoch); `not_sender`: `onlySender` did not match (nothing changed).
   */
  readonly result: 'deleted' | 'already_deleted' | 'not_found' | 'not_sender';
  /** The channel's current epoch. */
  readonly epoch: string;
}

/** One banned user ({@link Broker.ban}). */
export interface BanRecord {
  readonly user: string;
  /** When the ban ends, in ms since the Unix epoch. */
  readonly until: number;
  /** Why, as given by the moderator ('' when none). */
  readonly reason: string;
}

/** Result of {@link Broker.health}. */
export interface BrokerHealth {
  readonly ok: boolean;
  /** Round trip to the backing store, in milliseconds (0 in memory). */
  readonly latencyMs?: number;
  /** Short explanation when not ok; never contains credentials. */
  readonly detail?: string;
}

/** Connectivity of the backing store, reported on the `status` event. */
export interface BrokerStatus {
  readonly state: 'up' | 'down';
  readonly reason?: string;
}

/**
 * A change of cluster-wide channel state, emitted on the `change` event by exactly one node: the node whose own
 * (atomic) update made it. Other nodes see the same join and leave through their channel handlers, but only this
 * event says "this node did it", so a layer above can report each change once per cluster (webhooks).
 *
 * - `occupied`: the channel's first handler on any node arrived (the count of nodes with handlers went 0 → 1);
 * - `vacated`: its last handler on any node left (1 → 0), or the last node holding it was found dead;
 * - `join` / `leave`: a user's first connection entered / last connection left the channel's presence.
 *
 * `swept: true` marks a change this node made on behalf of a dead node (its heartbeat expired).
 */
export type BrokerChange =
  | { readonly type: 'occupied'; readonly channel: string }
  | { readonly type: 'vacated'; readonly channel: string; readonly swept?: true }
  | { readonly type: 'join'; readonly channel: string; readonly user: string; readonly info?: unknown }
  | {
      readonly type: 'leave';
      readonly channel: string;
      readonly user: string;
      readonly info?: unknown;
      readonly swept?: true;
    };

/**
 * The message broker behind the real-time layer. `MemoryBroker` implements it in process; a Redis
 * implementation shares it across nodes. The contract tests in `test/broker/contract.ts` define the
 * semantics every implementation must show.
 *
 * Realtime usage for a subscribe with recovery: `subscribe(channel, hub)` first, then
 * `history(channel, { since })`, then drop live publications whose offset is not above the history's top.
 */
export interface Broker {
  /** Implementation name for logs and metrics (`memory`, `redis`). */
  readonly name: string;
  /**
   * Stores a publication in the channel's history and fans it out to the channel's handlers on every node.
   * Resolves only after the publication is stored. Concurrent publishes to one channel get distinct,
   * contiguous offsets, delivered in offset order.
   * @throws {BrokerError} `BROKER_CLOSED` after close, `BROKER_UNAVAILABLE` / `BROKER_TIMEOUT` when the store fails.
   * @throws {RangeError} When an option is out of range.
   */
  publish(channel: string, data: unknown, options: PublishOptions): Promise<PublishResult>;
  /** Adds a handler for a channel's events (adding the same handler twice is a no-op). */
  subscribe(channel: string, handler: ChannelHandler): Promise<void>;
  /**
   * Sends an ephemeral message (typing indicators) to the channel's subscribers on every node: not stored, no
   * offset, not recovered, at most once. Resolves once handed to the backing store; rejects with a BrokerError
   * when it is unavailable. `data` must be JSON-serializable.
   */
  signal(channel: string, data: unknown): Promise<void>;
  /**
   * Whether a handler other than `handler` may hear an event on `channel`, here or on another node: a publisher can
   * skip a signal that only it would hear. A broker shared by nodes cannot see the other nodes' handlers and answers
   * true; the in-process broker answers from its handlers (every one of them is in this process).
   */
  othersListen(channel: string, handler: ChannelHandler): boolean;
  /** Removes a handler; unknown handlers are ignored. No event reaches it once this resolves. */
  unsubscribe(channel: string, handler: ChannelHandler): Promise<void>;
  /** Reads retained publications and the channel's position. */
  history(channel: string, options?: HistoryOptions): Promise<HistoryResult>;
  /**
   * The latest publication per feed key of a channel (what publishes with `latestMaxKeys` kept), with its position:
   * the snapshot a new subscriber gets. At most `limit` publications (the newest), in ascending offset order.
   * @throws {BrokerError} When the store fails. @throws {RangeError} When `limit` is not a non-negative safe integer.
   */
  latest(channel: string, limit: number): Promise<LatestResult>;
  /** Adds (or refreshes) a connection's presence; emits `join` when it is the user's first connection there. */
  addPresence(channel: string, entry: PresenceEntry): Promise<void>;
  /** Removes a connection's presence; emits `leave` when it was the user's last connection there. */
  removePresence(channel: string, connection: string): Promise<void>;
  /** Who is in a channel, per user. */
  presence(channel: string): Promise<PresenceUser[]>;
  /**
   * Turns the retained publication at `offset` into a tombstone (offsets stay contiguous, so recovery stays gapless)
   * and sends a `deleted` event to the channel's handlers on every node. Atomic: a concurrent history read sees the
   * publication or the tombstone, never a mix.
   * @throws {BrokerError} When the store fails. @throws {RangeError} When `offset` is not a non-negative safe integer.
   */
  deletePublication(channel: string, offset: number, options?: DeleteOptions): Promise<DeleteResult>;
  /**
   * Bans a user on every node for `durationMs` (a new ban replaces the old one).
   * @throws {RangeError} When `durationMs` is not a positive safe integer. @throws {BrokerError} When the store fails.
   */
  ban(user: string, durationMs: number, reason: string): Promise<BanRecord>;
  /** Lifts a ban; resolves with whether there was one. */
  unban(user: string): Promise<boolean>;
  /** The user's ban while it lasts, else null. */
  isBanned(user: string): Promise<BanRecord | null>;
  /** Bans in force, soonest ending first (at most `limit`, default 1000). */
  bans(limit?: number): Promise<BanRecord[]>;
  /** Checks the backing store. Never rejects. */
  health(): Promise<BrokerHealth>;
  /** Releases timers and connections. Later calls reject with `BROKER_CLOSED`. Idempotent. */
  close(): Promise<void>;
  /** `error`: a handler threw or the store failed in the background. Attach a listener: it is how faults surface. */
  on(event: 'error', listener: (error: Error) => void): this;
  /** `status`: the backing store went up or down. */
  on(event: 'status', listener: (status: BrokerStatus) => void): this;
  /** `change`: a cluster-wide occupancy or presence change this node made ({@link BrokerChange}). */
  on(event: 'change', listener: (change: BrokerChange) => void): this;
  off(event: 'error', listener: (error: Error) => void): this;
  off(event: 'status', listener: (status: BrokerStatus) => void): this;
  off(event: 'change', listener: (change: BrokerChange) => void): this;
}

// Realtime: local channel registry and fan-out. Each broker event is encoded once per codec and broadcast as one frame.
// A channel's maps (per codec, pending, catching up) exist while they have entries: most channels have a subscriber or
// two of one codec, and a server can hold 100,000 of them.
import type { Broker, ChannelEvent, ChannelHandler, Publication } from '../broker/index.ts';
import type { SlowConsumerPolicy } from '../engine/index.ts';
import { toPublicationMessage, type ServerMessage } from '../messages/index.ts';
import { type CodecGroups, codecGroups, groupOf, leaveGroup } from './codec-groups.ts';
import type { Subscriber, Subscription } from './subscription.ts';
import { frameLength } from './traffic.ts';
import type { SessionTransport } from './transport.ts';
import { typingSignal } from './typing-signal.ts';
import { toDeletedMessage, toPresenceEventMessage } from './wire.ts';

export { typingSignalData } from './typing-signal.ts';

/** What the registry needs from its hub. */
export interface FanoutContext {
  readonly broker: Broker;
  /** Number of codecs (sessions carry `codecIndex` in `0 … codecs-1`). */
  readonly codecs: number;
  /** Encodes one message with codec `index`. */
  encode(index: number, message: ServerMessage): string | Uint8Array;
  /** Sends one pre-encoded message to many transports, serializing the frame once; returns how many queued it. */
  broadcast(frame: string | Uint8Array, transports: Iterable<SessionTransport>): number;
  /** Bytes a subscriber may have queued before its namespace's slow-consumer policy applies. */
  readonly slowConsumerBytes: number;
  /** Called for each delivered publication (metrics): how many local sessions got it. */
  delivered(publication: Publication, count: number): void;
  /** A slow consumer was dropped from one delivery or disconnected. */
  slowConsumer(subscriber: Subscriber, action: 'dropped' | 'closed'): void;
}

/** A feed namespace's delivery options (null: the plain fan-out). */
export interface FeedDelivery {
  /** Keep the newest per key for a connection behind on its socket (instead of the slow-consumer policy). */
  readonly conflate: boolean;
  /** Most keys held per channel by a conflating connection. */
  readonly maxKeys: number;
  /** Send publications in `publications` batches. */
  readonly batch: boolean;
  readonly batchMaxCount: number;
  readonly batchMaxDelayMs: number;
}

/** Options of a local channel: its namespace's slow-consumer policy, join/leave relay and feed delivery. */
export interface LocalChannelOptions {
  readonly policy: SlowConsumerPolicy;
  readonly joinLeave: boolean;
  readonly feed?: FeedDelivery | null;
}

/** Largest number of events buffered for one pending subscription before it is given up (the client resubscribes). */
const MAX_PENDING_EVENTS = 10_000;
/** The buffer of every live subscription: empty and frozen (a pending one has its own). */
const NO_EVENTS = Object.freeze([]) as unknown as ChannelEvent[];

/** One channel that has local subscribers, with its broker handler. */
export class LocalChannel {
  readonly name: string;
  readonly #ctx: FanoutContext;
  readonly #policy: SlowConsumerPolicy;
  readonly #joinLeave: boolean;
  readonly #feed: FeedDelivery | null;
  /** Live subscribers and their sockets, per codec: the values iterate straight into the engine's broadcast. */
  readonly #live: CodecGroups = codecGroups();
  /** Live subscribers that asked for join / leave, per codec. */
  readonly #watchers: CodecGroups = [];
  /** Subscriptions whose history read is running, with their buffers; null while there is none. */
  #pending: Map<Subscriber, Subscription> | null = null;
  /**
   * Subscribers whose `subscribed` answer already carried history up to this position. A publication stored before
   * the history read can still be in flight from the broker (Redis PUBLISH arrives after XADD is visible), so live
   * events at or below the position are skipped until the first newer one moves the session to the live sets. Null
   * while there is none.
   */
  #catchingUp: Map<Subscriber, { readonly epoch: string; readonly offset: number }> | null = null;
  /** Resolves once the broker handler is installed. */
  readonly ready: Promise<void>;
  readonly handler: ChannelHandler;
  /** The targets of one fan-out, reused; created by the first fan-out that filters its subscribers. */
  #scratch: SessionTransport[] | null = null;

  /**
   * @param name Channel name.
   * @param options Slow-consumer policy and whether join/leave events are relayed.
   * @param ctx The hub's fan-out services.
   */
  constructor(name: string, options: LocalChannelOptions, ctx: FanoutContext) {
    this.name = name;
    this.#ctx = ctx;
    this.#policy = options.policy;
    this.#joinLeave = options.joinLeave;
    this.#feed = options.feed ?? null;
    // A bound method: an arrow function here would also keep the constructor's context, about 50 bytes more.
    this.handler = this.#onEvent.bind(this);
    this.ready = ctx.broker.subscribe(name, this.handler);
  }

  /** Number of local subscriptions, live and pending. */
  get size(): number {
    let n = (this.#pending?.size ?? 0) + (this.#catchingUp?.size ?? 0);
    for (const map of this.#live) n += map?.size ?? 0;
    return n;
  }

  /** Live subscribers (all codecs). */
  *sessions(): IterableIterator<Subscriber> {
    for (const map of this.#live) if (map !== undefined) yield* map.keys();
    if (this.#catchingUp !== null) yield* this.#catchingUp.keys();
  }

  /**
   * Starts buffering live events for a subscription whose history read is about to start.
   * @param session The subscriber.
   * @param subscription Its subscription (state `pending`).
   */
  addPending(session: Subscriber, subscription: Subscription): void {
    this.#pending ??= new Map();
    this.#pending.set(session, subscription);
  }

  /**
   * Moves a pending subscription to the live sets. The caller replays its buffer right after.
   * @param session The subscriber.
   * @param subscription Its subscription.
   * @param sent The position up to which publications were already sent (history top, or the last replayed one):
   *   later live publications at or below it are duplicates and skipped.
   */
  goLive(
    session: Subscriber,
    subscription: Subscription,
    sent?: { readonly epoch: string; readonly offset: number },
  ): void {
    this.#forgetPending(session);
    subscription.state = 'live';
    // Only pending subscriptions are buffered into: a live one shares the frozen empty buffer.
    subscription.buffer = NO_EVENTS;
    if (sent === undefined) groupOf(this.#live, session.codecIndex).set(session, session.transport);
    else {
      this.#catchingUp ??= new Map();
      this.#catchingUp.set(session, sent);
    }
    if (subscription.presence && this.#joinLeave)
      groupOf(this.#watchers, session.codecIndex).set(session, session.transport);
  }

  /**
   * Removes a session (pending or live).
   * @param session The subscriber.
   */
  remove(session: Subscriber): void {
    if (this.#feed !== null) session.feed.forget(this.name);
    this.#forgetPending(session);
    if (this.#catchingUp?.delete(session) === true && this.#catchingUp.size === 0) this.#catchingUp = null;
    leaveGroup(this.#live, session);
    leaveGroup(this.#watchers, session);
  }

  /** Forgets a pending subscription, and the map with the last one. */
  #forgetPending(session: Subscriber): void {
    if (this.#pending?.delete(session) === true && this.#pending.size === 0) this.#pending = null;
  }

  /**
   * Sends a message to every live subscriber except `except`'s user, encoding it once per codec.
   * @param message The message.
   * @param exceptUser A user id whose sessions are skipped, or null.
   */
  relay(message: ServerMessage, exceptUser: string | null): void {
    for (let codec = 0; codec < this.#live.length; codec++) {
      const map = this.#live[codec];
      if (map === undefined || map.size === 0) continue;
      const targets: SessionTransport[] = [];
      const recipients: Subscriber[] = [];
      for (const [session, transport] of map) {
        if (session.user === exceptUser) continue;
        targets.push(transport);
        recipients.push(session);
      }
      if (targets.length === 0) continue;
      const frame = this.#ctx.encode(codec, message);
      const length = frameLength(frame);
      for (const session of recipients) session.traffic.sent(length);
      this.#ctx.broadcast(frame, targets);
    }
    if (this.#catchingUp !== null)
      for (const session of this.#catchingUp.keys()) {
        if (session.user !== exceptUser) this.#sendOne(session, message);
      }
  }

  /** Sends one message to one subscriber outside the batched fan-out, counting it. */
  #sendOne(session: Subscriber, message: ServerMessage): void {
    const frame = this.#ctx.encode(session.codecIndex, message);
    session.traffic.sent(frameLength(frame));
    this.#ctx.broadcast(frame, [session.transport]);
  }

  #onEvent(event: ChannelEvent): void {
    if (this.#pending !== null)
      for (const [session, subscription] of this.#pending) {
        if (subscription.buffer.length >= MAX_PENDING_EVENTS) {
          // The history read is far behind live traffic: give up rather than grow without bound.
          this.#forgetPending(session);
          session.abandonSubscription(subscription);
          continue;
        }
        subscription.buffer.push(event);
      }
    if (event.type === 'deleted' || (event.type === 'publication' && event.publication.deleted === true)) {
      // A deletion, or a tombstone a broker read back from history while filling a gap: everyone learns the offset.
      this.relay(toDeletedMessage(event.type === 'deleted' ? event : event.publication), null);
    } else if (event.type === 'publication') {
      const message = toPublicationMessage(event.publication);
      if (this.#feed === null) this.#fanout(this.#live, message, event.publication);
      else this.#feedFanout(this.#feed, message, event.publication);
      if (this.#catchingUp !== null) this.#catchUp(this.#catchingUp, message, event.publication);
    } else if (event.type === 'signal') {
      const typing = typingSignal(event.data);
      if (typing !== null)
        this.relay({ type: 'typing', channel: this.name, user: typing.user, on: typing.on }, typing.user);
    } else if (this.#joinLeave) {
      this.#fanout(this.#watchers, toPresenceEventMessage(event), null);
    }
  }

  /** Sends a publication to catching-up subscribers that have not had it yet, which then join the live sets. */
  #catchUp(
    catchingUp: Map<Subscriber, { readonly epoch: string; readonly offset: number }>,
    message: ServerMessage,
    publication: Publication,
  ): void {
    for (const [session, sent] of catchingUp) {
      if (publication.epoch === sent.epoch && publication.offset <= sent.offset) continue;
      catchingUp.delete(session);
      if (catchingUp.size === 0 && this.#catchingUp === catchingUp) this.#catchingUp = null;
      const own = session.id === publication.exceptConnection;
      const share =
        own || this.#feed === null ? 'write' : this.#feedOne(this.#feed, session, session.transport, publication);
      if (!own && share === 'write') this.#sendOne(session, message);
      groupOf(this.#live, session.codecIndex).set(session, session.transport);
    }
  }

  /**
   * Fan-out of a feed namespace: per subscriber, conflate (behind on its socket, or earlier ones of the channel still
   * held), batch, or write the shared frame; the slow-consumer policy applies where conflation does not.
   */
  #feedFanout(feed: FeedDelivery, message: ServerMessage, publication: Publication): void {
    let count = 0;
    const except = publication.exceptConnection;
    for (let codec = 0; codec < this.#live.length; codec++) {
      const map = this.#live[codec];
      if (map === undefined || map.size === 0) continue;
      let frame: string | Uint8Array | null = null;
      let length = 0;
      this.#scratch ??= [];
      const targets = this.#scratch;
      targets.length = 0;
      for (const [session, transport] of map) {
        if (session.id === except) continue;
        const share = this.#feedOne(feed, session, transport, publication);
        if (share === 'write' || share === 'batched') count++;
        if (share !== 'write') continue;
        if (frame === null) {
          frame = this.#ctx.encode(codec, message);
          length = frameLength(frame);
        }
        session.traffic.sent(length);
        targets.push(transport);
      }
      if (targets.length > 0 && frame !== null) this.#ctx.broadcast(frame, targets);
      targets.length = 0;
    }
    this.#ctx.delivered(publication, count);
  }

  /**
   * One subscriber's share of a feed publication: held for conflation, added to its batch, dropped or closed by the
   * slow-consumer policy, or to be written with the shared frame (`write`).
   */
  #feedOne(
    feed: FeedDelivery,
    session: Subscriber,
    transport: SessionTransport,
    publication: Publication,
  ): 'write' | 'held' | 'batched' | 'refused' {
    const limit = this.#ctx.slowConsumerBytes;
    const behind = transport.bufferedAmount > limit;
    if (feed.conflate && (behind || session.feed.conflating(this.name))) {
      // Written later (or replaced): conflation takes the place of the slow-consumer policy.
      session.feed.conflate(publication, feed.maxKeys, limit / 2);
      return 'held';
    }
    if (behind && this.#policy !== 'wait') {
      this.#ctx.slowConsumer(session, this.#policy === 'drop' ? 'dropped' : 'closed');
      if (this.#policy === 'close') session.disconnectSlow();
      return 'refused';
    }
    if (!feed.batch) return 'write';
    session.feed.batch(publication, feed.batchMaxCount, feed.batchMaxDelayMs);
    return 'batched';
  }

  /** The hot path: one encode per codec, one frame serialization per codec, one pass over the subscribers. */
  #fanout(groups: CodecGroups, message: ServerMessage, publication: Publication | null): void {
    let count = 0;
    // A publish with `echo: false` names its connection: skipped here, on whichever node holds it.
    const except = publication?.exceptConnection;
    for (let codec = 0; codec < groups.length; codec++) {
      const map = groups[codec];
      if (map === undefined || map.size === 0) continue;
      const frame = this.#ctx.encode(codec, message);
      const length = frameLength(frame);
      if (this.#policy === 'wait' && except === undefined) {
        for (const session of map.keys()) session.traffic.sent(length);
        count += this.#ctx.broadcast(frame, map.values());
        continue;
      }
      this.#scratch ??= [];
      const targets = this.#scratch;
      targets.length = 0;
      const limit = this.#ctx.slowConsumerBytes;
      for (const [session, transport] of map) {
        if (session.id === except) continue;
        if (this.#policy === 'wait' || transport.bufferedAmount <= limit) {
          targets.push(transport);
          session.traffic.sent(length);
        } else if (this.#policy === 'drop') {
          this.#ctx.slowConsumer(session, 'dropped');
        } else {
          this.#ctx.slowConsumer(session, 'closed');
          session.disconnectSlow();
        }
      }
      count += this.#ctx.broadcast(frame, targets);
      targets.length = 0;
    }
    if (publication !== null) this.#ctx.delivered(publication, count);
  }
}

/** The channels with local subscribers; one broker handler per channel per node. */
export class ChannelRegistry {
  readonly #ctx: FanoutContext;
  readonly #channels = new Map<string, LocalChannel>();

  /** @param ctx The hub's fan-out services. */
  constructor(ctx: FanoutContext) {
    this.#ctx = ctx;
  }

  /** Number of channels with local subscribers. */
  get size(): number {
    return this.#channels.size;
  }

  /**
   * @param name Channel name.
   * @returns The local channel, if it has subscribers.
   */
  get(name: string): LocalChannel | undefined {
    return this.#channels.get(name);
  }

  /**
   * Gets or creates the local channel (creating installs its broker handler).
   * @param name Channel name.
   * @param options Policy and join/leave relay of its namespace.
   */
  acquire(name: string, options: LocalChannelOptions): LocalChannel {
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = new LocalChannel(name, options, this.#ctx);
      this.#channels.set(name, channel);
      // A failed broker subscribe surfaces to the subscriber that awaits `ready`; the entry must not linger.
      channel.ready.catch(() => this.#drop(channel!));
    }
    return channel;
  }

  /**
   * Removes a session from a channel and drops the channel (and its broker handler) when it is empty.
   * @param name Channel name.
   * @param session The subscriber.
   */
  release(name: string, session: Subscriber): void {
    const channel = this.#channels.get(name);
    if (channel === undefined) return;
    channel.remove(session);
    if (channel.size === 0) this.#drop(channel);
  }

  #drop(channel: LocalChannel): void {
    if (this.#channels.get(channel.name) !== channel) return;
    this.#channels.delete(channel.name);
    this.#ctx.broker.unsubscribe(channel.name, channel.handler).catch(() => {});
  }
}

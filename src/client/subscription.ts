// Client SDK (Node-free): one channel subscription that survives reconnects: positions, order, duplicates, gaps.
// Its events and options (subscription-events.ts), reading missed history (subscription-recovery.ts), iteration
// (publication-stream.ts) and routing (subscription-registry.ts) live apart.
import type {
  DeletedMessage,
  HistoryReply,
  JoinMessage,
  LeaveMessage,
  PresenceUser,
  PublicationMessage,
  StreamPosition,
  SubscribedMessage,
  Tombstone,
  TypingEventMessage,
} from '../messages/core.ts';
import { ClientError } from './errors.ts';
import { Emitter } from './emitter.ts';
import { PublicationStreams } from './publication-stream.ts';
import type { GapEvent, SubscriptionEvents, SubscriptionOptions, SubscriptionState } from './subscription-events.ts';
import { asItem, byOffset, type HistoryReader, type Item, mergeSnapshot, readMissed } from './subscription-recovery.ts';

/** What a subscription needs from its client. */
export interface SubscriptionHost extends HistoryReader {
  setPosition(channel: string, position: StreamPosition): void;
  delivered(subscription: Subscription, publication: PublicationMessage): void;
  /** Whether the publication is this client's own `echo: false` one: its offset counts, the application never sees it. */
  quiet(publication: PublicationMessage): boolean;
  duplicate(): void;
  gap(event: GapEvent): void;
  subscribe(channel: string): Promise<SubscribedMessage>;
  unsubscribe(channel: string): Promise<void>;
}

/**
 * How the client drives a subscription. Not part of the public API: the client reaches it through
 * {@link subscriptionControl}, which index.ts does not export.
 */
export interface SubscriptionControl {
  /** Marks the subscription wanted; resolves on the next `subscribed`. */
  waiting(): Promise<SubscribedMessage>;
  /** The `since` to send: the explicit first position, then the tracked one. */
  since(): StreamPosition | undefined;
  /** A subscribe request is about to be sent: hold live publications until its answer. */
  sending(): void;
  /** The connection dropped: wait for the resubscribe. */
  lost(): void;
  /** The answer to our subscribe. */
  subscribed(answer: SubscribedMessage, askedSince: StreamPosition | undefined): void;
  /** The subscription ended for good (refused, server unsubscribed, or the client closed). */
  ended(code: string, reason: string): void;
  /** A live publication for this channel. */
  publication(p: PublicationMessage): void;
  /** A `join` or `leave` in this channel. */
  presence(event: JoinMessage | LeaveMessage): void;
  /** A `typing` event in this channel. */
  typing(event: TypingEventMessage): void;
  /** A `deleted` event in this channel. */
  deleted(event: DeletedMessage): void;
  /** A gap of this channel, relayed by the client. */
  gap(event: GapEvent): void;
}

let controlOf: (subscription: Subscription) => SubscriptionControl;

/**
 * The seam between the client and its subscriptions.
 * @param subscription A subscription made by a client.
 * @returns Its control.
 */
export function subscriptionControl(subscription: Subscription): SubscriptionControl {
  return controlOf(subscription);
}

const MAX_HELD = 100_000;

/**
 * A channel subscription. Created by `client.subscription()` / `client.subscribe()`; it resubscribes with `since` after every
 * reconnect, delivers missed publications in order, drops duplicates by offset and raises `gap` when it cannot prove
 * completeness. Iterate it with `for await` to read publications as a stream.
 */
export class Subscription extends Emitter<SubscriptionEvents> {
  /** The channel name. */
  readonly channel: string;
  /** Options given at creation. */
  readonly options: SubscriptionOptions;
  readonly #host: SubscriptionHost;
  #state: SubscriptionState = 'idle';
  /** Live publications held while a subscribe or a history recovery is in flight, delivered after it in offset order. */
  #held: Item[] | null = null;
  #presence: PresenceUser[] = [];
  /** The server conflates this subscription (`subscribed.conflated`): offset jumps are skipped values, not gaps. */
  #conflated = false;
  #firstSince: StreamPosition | null | undefined;
  readonly #streams: PublicationStreams;
  #waiters: { resolve: (m: SubscribedMessage) => void; reject: (e: ClientError) => void }[] = [];
  readonly #control: SubscriptionControl = {
    waiting: () => this.#waiting(),
    since: () => this.#since(),
    sending: () => this.#sending(),
    lost: () => this.#lost(),
    subscribed: (answer, askedSince) => this.#subscribed(answer, askedSince),
    ended: (code, reason) => this.#ended(code, reason),
    publication: (p) => this.#publication(p),
    presence: (event) => this.#presenceEvent(event),
    typing: (event) => this.#typing(event),
    deleted: (event) => this.#deleted(event),
    gap: (event) => this.emit('gap', event),
  };

  static {
    controlOf = (subscription) => subscription.#control;
  }

  /**
   * @param channel Channel name.
   * @param options Presence, starting position.
   * @param host The owning client.
   */
  constructor(channel: string, options: SubscriptionOptions, host: SubscriptionHost) {
    super();
    this.channel = channel;
    this.options = options;
    this.#host = host;
    this.#firstSince = options.since;
    this.#streams = new PublicationStreams(channel, options.iteratorBuffer ?? 10_000);
  }

  /** The state. */
  get state(): SubscriptionState {
    return this.#state;
  }

  /** The last position delivered, or undefined. */
  get position(): StreamPosition | undefined {
    return this.#host.positionOf(this.channel);
  }

  /** The presence list of the last `subscribed`, kept current by `join` / `leave` (with `presence: true`). */
  get presence(): readonly PresenceUser[] {
    return this.#presence;
  }

  /** The client marks the subscription wanted and waiting. */
  #waiting(): Promise<SubscribedMessage> {
    if (this.#state === 'idle') {
      this.#streams.begin();
      this.#setState('subscribing');
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The `since` to send: the explicit first position, then the tracked one. */
  #since(): StreamPosition | undefined {
    if (this.#firstSince !== undefined) {
      const first = this.#firstSince;
      if (first === null) return undefined;
      const known = this.#host.positionOf(this.channel);
      return known !== undefined && known.epoch === first.epoch && known.offset > first.offset ? known : first;
    }
    return this.#host.positionOf(this.channel);
  }

  /** A subscribe request is about to be sent: hold live publications until its answer. */
  #sending(): void {
    if (this.#state !== 'subscribing') this.#setState('subscribing');
    this.#held = [];
  }

  /** The connection dropped: wait for the resubscribe. */
  #lost(): void {
    this.#held = null;
    if (this.#state === 'subscribed') this.#setState('subscribing');
  }

  /** The answer to our subscribe. */
  #subscribed(answer: SubscribedMessage, askedSince: StreamPosition | undefined): void {
    this.#firstSince = undefined;
    const held = this.#held ?? [];
    this.#held = null;
    this.#conflated = answer.conflated === true;
    if (askedSince !== undefined && !answer.recovered && !this.#conflated) {
      this.#host.gap({
        channel: this.channel,
        from: askedSince,
        to: { epoch: answer.epoch, offset: answer.offset },
        reason: 'not_recovered',
      });
    }
    const known = this.#host.positionOf(this.channel);
    // The snapshot (latest per key) and the history part are one list of what the subscribe delivers, by offset.
    const delivered = mergeSnapshot(answer);
    if (!answer.recovered && (known === undefined || known.epoch !== answer.epoch || known.offset > answer.offset)) {
      // A fresh start: what the server sends now (the namespace's "last N on join") follows, nothing before it counts.
      this.#host.setPosition(this.channel, {
        epoch: answer.epoch,
        offset: Math.max(0, (delivered[0]?.offset ?? answer.offset + 1) - 1),
      });
    }
    for (const p of delivered) this.#deliverInOrder(asItem(p));
    const after = this.#host.positionOf(this.channel);
    if (after === undefined || after.epoch !== answer.epoch || after.offset < answer.offset) {
      this.#host.setPosition(this.channel, { epoch: answer.epoch, offset: answer.offset });
    }
    this.#presence = answer.presence !== undefined ? [...answer.presence] : [];
    this.#setState('subscribed');
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve(answer);
    this.emit('subscribed', answer);
    for (const p of held.sort(byOffset)) this.#publication(p);
  }

  /** The subscription ended for good (refused, server unsubscribed, or the client closed). */
  #ended(code: string, reason: string): void {
    this.#held = null;
    this.#setState('idle');
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new ClientError(code, reason));
    this.emit('unsubscribed', { channel: this.channel, code, reason });
    this.#streams.end(code === 'unsubscribed' || code === 'closed' ? null : new ClientError(code, reason));
  }

  /** A live `deleted`: announced at once when its offset was delivered, else it takes the publication's place in order. */
  #deleted(event: DeletedMessage): void {
    const tombstone: Tombstone = {
      channel: event.channel,
      epoch: event.epoch,
      offset: event.offset,
      time: 0,
      deleted: true,
    };
    if (this.#held !== null) {
      // Behind the held publications (its own among them): delivered after them, in arrival order.
      if (this.#held.length < MAX_HELD) this.#held.push(tombstone);
      return;
    }
    const known = this.#host.positionOf(this.channel);
    if (known !== undefined && known.epoch === event.epoch && event.offset <= known.offset) {
      this.#emitDeleted(tombstone);
      return;
    }
    this.#publication(tombstone);
  }

  #emitDeleted(t: Tombstone): void {
    this.emit('deleted', { channel: t.channel, epoch: t.epoch, offset: t.offset });
  }

  /** A live publication (or a tombstone in its place) for this channel. */
  #publication(p: Item): void {
    if (this.#held !== null) {
      if (this.#held.length < MAX_HELD) this.#held.push(p);
      return;
    }
    const known = this.#host.positionOf(this.channel);
    if (known !== undefined && known.epoch === p.epoch && p.offset > known.offset + 1 && !this.#conflated) {
      this.#recover(known, p);
      return;
    }
    if (known !== undefined && known.epoch !== p.epoch) {
      this.#host.gap({
        channel: this.channel,
        from: known,
        to: { epoch: p.epoch, offset: p.offset },
        reason: 'epoch_changed',
      });
      this.#host.setPosition(this.channel, { epoch: p.epoch, offset: p.offset - 1 });
    }
    this.#deliverInOrder(p);
  }

  /** Presence events. */
  #presenceEvent(event: JoinMessage | LeaveMessage): void {
    if (event.type === 'join') {
      const i = this.#presence.findIndex((u) => u.user === event.user);
      if (i < 0)
        this.#presence = [
          ...this.#presence,
          { user: event.user, connections: 1, ...(event.info === undefined ? {} : { info: event.info }) },
        ];
      this.emit('join', event);
    } else {
      this.#presence = this.#presence.filter((u) => u.user !== event.user);
      this.emit('leave', event);
    }
  }

  /**
   * Subscribes (or waits for the subscription after a reconnect); same as `client.subscribe(channel)`.
   * @returns The `subscribed` message.
   */
  subscribe(): Promise<SubscribedMessage> {
    return this.#host.subscribe(this.channel);
  }

  /** Unsubscribes; same as `client.unsubscribe(channel)`. */
  unsubscribe(): Promise<void> {
    return this.#host.unsubscribe(this.channel);
  }

  /** Typing events. */
  #typing(event: TypingEventMessage): void {
    this.emit('typing', event);
  }

  /**
   * Delivers when the offset is new in the current epoch; drops repeats (counted as duplicates). A tombstone is
   * announced as `deleted` even at an offset already delivered: the publication shown there is gone.
   */
  #deliverInOrder(p: Item): void {
    const known = this.#host.positionOf(this.channel);
    const repeat = known !== undefined && known.epoch === p.epoch && p.offset <= known.offset;
    if ('deleted' in p) {
      if (!repeat) this.#host.setPosition(this.channel, { epoch: p.epoch, offset: p.offset });
      this.#emitDeleted(p);
      return;
    }
    if (repeat) {
      this.#host.duplicate();
      return;
    }
    this.#host.setPosition(this.channel, { epoch: p.epoch, offset: p.offset });
    // Own `echo: false` publications reach here only through history (recovery, a gap fill): position, no delivery.
    if (this.#host.quiet(p)) return;
    this.#host.delivered(this, p);
    this.emit('publication', p);
    this.#streams.push(p);
  }

  /** Fills a jump in live offsets from history, holding live publications meanwhile. */
  #recover(from: StreamPosition, trigger: Item): void {
    this.#held = [trigger];
    readMissed(
      this.#host,
      this.channel,
      from,
      (p) => this.#deliverInOrder(p),
      (complete, reply) => this.#recovered(complete, reply),
    ).catch(() => this.#recovered(false, null));
  }

  #recovered(complete: boolean, reply: HistoryReply | null): void {
    const held = (this.#held ?? []).sort(byOffset);
    this.#held = null;
    if (held.length === 0) return;
    const known = this.#host.positionOf(this.channel);
    const first = held[0]!;
    if (!complete && known !== undefined && known.epoch === first.epoch && first.offset > known.offset + 1) {
      this.#host.gap({
        channel: this.channel,
        from: known,
        to: { epoch: first.epoch, offset: first.offset },
        reason: 'history_incomplete',
      });
      this.#host.setPosition(this.channel, { epoch: first.epoch, offset: first.offset - 1 });
    }
    void reply;
    for (const p of held) {
      const now = this.#host.positionOf(this.channel);
      if (now !== undefined && now.epoch === p.epoch && p.offset > now.offset + 1) {
        // Still a hole after recovery: report it rather than loop.
        this.#host.gap({
          channel: this.channel,
          from: now,
          to: { epoch: p.epoch, offset: p.offset },
          reason: 'history_incomplete',
        });
        this.#host.setPosition(this.channel, { epoch: p.epoch, offset: p.offset - 1 });
      }
      this.#publication(p);
    }
  }

  #setState(state: SubscriptionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  /**
   * The publications as a stream, in offset order and once each, until the subscription ends (the loop then finishes
   * quietly after an `unsubscribe()` or `close()`). Iterating an `idle` subscription subscribes it; `break` does not
   * unsubscribe. Where a loop starts:
   * - the first loop since the subscribe (started before it, during it, or after `await subscribe()`) reads everything
   *   the subscribe delivered: the publications of the `subscribed` answer (recovered, `since`, last-N-on-join), then
   *   live ones; the subscription keeps them for it, at most `iteratorBuffer` (beyond that it drops them, and the first
   *   loop reads only newer ones);
   * - a loop started while another is open, or after one ended, reads the publications delivered after it starts.
   * @throws {ClientError} `overflow` when the loop falls `iteratorBuffer` unread publications behind (the
   *   publications it holds are yielded first); the server's code when the subscribe was refused or the server ended the
   *   subscription with a code; `closed` when the client was closed before the loop started.
   */
  [Symbol.asyncIterator](): AsyncIterator<PublicationMessage> {
    return this.#streams.iterator(this.#state === 'idle' ? () => this.subscribe() : undefined);
  }
}

// Realtime: the server's events for layers above (webhooks): occupancy, presence and opted-in publications.
import type { BrokerChange, PublishResult } from '../broker/index.ts';
import type { JsonValue } from '../messages/index.ts';

/** A channel got its first subscriber on any node (once per cluster, on the node whose subscribe did it). */
export interface ChannelOccupiedEvent {
  readonly channel: string;
}

/**
 * A channel lost its last subscriber on any node (once per cluster). `swept` when a live node emitted it for a node
 * that died holding the last subscribers.
 */
export interface ChannelVacatedEvent {
  readonly channel: string;
  readonly swept?: true;
}

/** A user's first connection entered a channel's presence (once per cluster, by the node that added it). */
export interface PresenceJoinEvent {
  readonly channel: string;
  readonly user: string;
  /** The user's public info from the token, when it has some. */
  readonly info?: unknown;
}

/** A user's last connection left a channel's presence (once per cluster, by the node that removed it). */
export interface PresenceLeaveEvent {
  readonly channel: string;
  readonly user: string;
  readonly info?: unknown;
  /** Removed by a live node for a node that died. */
  readonly swept?: true;
}

/**
 * A publication was stored (once per cluster, by the node that stored it: a client's publish or send, or the HTTP
 * API). Only for channels whose namespace sets `webhookPublications: true`; duplicates (idempotent retries) are not
 * reported again.
 */
export interface PublicationEvent {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly data: JsonValue;
  /** The publisher's user id; absent for a server publish without a sender. */
  readonly sender?: string;
  /** The publisher's message id, if any. */
  readonly id?: string;
  /** When it was stored (approximately: this node's clock once the broker acknowledged), in ms since the epoch. */
  readonly time: number;
}

/** The events of {@link RealtimeEvents}, by name. */
export interface RealtimeEventMap {
  channelOccupied: ChannelOccupiedEvent;
  channelVacated: ChannelVacatedEvent;
  presenceJoin: PresenceJoinEvent;
  presenceLeave: PresenceLeaveEvent;
  publication: PublicationEvent;
}

/** One of the event names. */
export type RealtimeEventName = keyof RealtimeEventMap;

/** All event names, for configuration checks. */
export const REALTIME_EVENT_NAMES: readonly RealtimeEventName[] = Object.freeze([
  'channelOccupied',
  'channelVacated',
  'presenceJoin',
  'presenceLeave',
  'publication',
]);

type Listener<K extends RealtimeEventName> = (event: RealtimeEventMap[K]) => void;

/**
 * A small typed emitter. Listeners run synchronously where the event happened and must not block: a listener that
 * has slow work (an HTTP delivery) queues it and returns. A listener that throws is reported through `onError` and
 * does not affect the others or the operation that emitted. With no listener for an event, emitting it costs one
 * map lookup (the hot path checks {@link RealtimeEvents.has} before building a payload).
 */
export class RealtimeEvents {
  readonly #listeners = new Map<RealtimeEventName, Set<Listener<RealtimeEventName>>>();
  readonly #onError: (error: unknown) => void;

  /** @param onError Where a throwing listener is reported. */
  constructor(onError: (error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /**
   * Adds a listener.
   * @param name The event.
   * @param listener Called with each event.
   * @returns A function that removes the listener.
   */
  on<K extends RealtimeEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<RealtimeEventName>);
    return () => this.off(name, listener);
  }

  /**
   * Removes a listener (unknown ones are ignored).
   * @param name The event.
   * @param listener The listener given to `on`.
   */
  off<K extends RealtimeEventName>(name: K, listener: Listener<K>): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    set.delete(listener as Listener<RealtimeEventName>);
    if (set.size === 0) this.#listeners.delete(name);
  }

  /**
   * @param name The event.
   * @returns Whether anyone listens to it.
   */
  has(name: RealtimeEventName): boolean {
    return this.#listeners.has(name);
  }

  /**
   * Calls every listener of an event.
   * @param name The event.
   * @param event Its payload.
   */
  emit<K extends RealtimeEventName>(name: K, event: RealtimeEventMap[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  /**
   * Relays a broker change, for client channels only (`isClientChannel` rules out the server's own channels).
   * @param change What the broker reported.
   * @param isClientChannel Whether the channel is a client channel of a configured namespace.
   */
  relay(change: BrokerChange, isClientChannel: (channel: string) => boolean): void {
    const name = CHANGE_EVENT[change.type];
    if (!this.#listeners.has(name) || !isClientChannel(change.channel)) return;
    switch (change.type) {
      case 'occupied':
        this.emit('channelOccupied', { channel: change.channel });
        return;
      case 'vacated':
        this.emit('channelVacated', { channel: change.channel, ...(change.swept ? { swept: true } : {}) });
        return;
      case 'join':
        this.emit('presenceJoin', {
          channel: change.channel,
          user: change.user,
          ...(change.info === undefined ? {} : { info: change.info }),
        });
        return;
      case 'leave':
        this.emit('presenceLeave', {
          channel: change.channel,
          user: change.user,
          ...(change.info === undefined ? {} : { info: change.info }),
          ...(change.swept ? { swept: true } : {}),
        });
        return;
    }
  }
}

/**
 * Emits a `publication` event for a stored publication when its namespace opted in and someone listens.
 * @param events The emitter.
 * @param optedIn The namespace's `webhookPublications`.
 * @param stored Channel, data and publisher, with where the broker stored it.
 */
export function emitPublication(
  events: RealtimeEvents,
  optedIn: boolean,
  stored: {
    readonly channel: string;
    readonly data: JsonValue;
    readonly result: PublishResult;
    readonly sender?: string | undefined;
    readonly id?: string | undefined;
  },
): void {
  if (!optedIn || stored.result.duplicate || !events.has('publication')) return;
  events.emit('publication', {
    channel: stored.channel,
    epoch: stored.result.epoch,
    offset: stored.result.offset,
    data: stored.data,
    ...(stored.sender === undefined ? {} : { sender: stored.sender }),
    ...(stored.id === undefined ? {} : { id: stored.id }),
    time: Date.now(),
  });
}

const CHANGE_EVENT = {
  occupied: 'channelOccupied',
  vacated: 'channelVacated',
  join: 'presenceJoin',
  leave: 'presenceLeave',
} as const satisfies Record<BrokerChange['type'], RealtimeEventName>;

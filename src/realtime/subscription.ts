// Realtime: a session's subscription to a channel, and what a channel needs from its subscribers.
import type { ChannelEvent } from '../broker/index.ts';
import type { FeedOutput } from './feed-output.ts';
import type { TrafficCounters } from './traffic.ts';
import type { SessionTransport } from './transport.ts';

/** A subscription of one session to one channel. */
export interface Subscription {
  readonly channel: string;
  /** `pending` while its history read is in flight: live events are buffered. */
  state: 'pending' | 'live' | 'gone';
  /** Whether the session gets join / leave events. */
  readonly presence: boolean;
  /** Whether the session holds a presence entry (the namespace keeps presence). */
  readonly inPresence: boolean;
  /** Events that arrived while pending, replayed after `subscribed`. */
  buffer: ChannelEvent[];
}

/** What fan-out needs from a subscriber (a `Session` is one). */
export interface Subscriber {
  /** The connection id (a publication with `exceptConnection` equal to it is not delivered live). */
  readonly id: string;
  /** Messages and bytes counted for the close log line; fan-out adds its deliveries. */
  readonly traffic: TrafficCounters;
  /** The user id once authenticated, else null. */
  readonly user: string | null;
  /** Index of the subscriber's codec in the hub's codec table: fan-out encodes once per index. */
  readonly codecIndex: number;
  /** Where its frames go. */
  readonly transport: SessionTransport;
  /** Its conflation and batching state (feed namespaces). */
  readonly feed: FeedOutput;
  /** The slow-consumer policy `close` chose this subscriber: disconnect it (4010, reconnect and recover). */
  disconnectSlow(): void;
  /**
   * A pending subscription overflowed its buffer: the server lost track of the stream for this subscriber.
   * @param subscription The subscription given up.
   */
  abandonSubscription(subscription: Subscription): void;
}

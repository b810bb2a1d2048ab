// Client SDK (Node-free): what a subscription tells the application: its events (gaps, deletions, state) and the
// options it is created with.
import type {
  JoinMessage,
  LeaveMessage,
  PublicationMessage,
  StreamPosition,
  SubscribedMessage,
  TypingEventMessage,
} from '../messages/core.ts';

/** Why a subscription could not prove it delivered everything. */
export interface GapEvent {
  readonly channel: string;
  /** The last position delivered before the gap (null when none was known). */
  readonly from: StreamPosition | null;
  /** Where delivery continues. */
  readonly to: StreamPosition;
  /**
   * `not_recovered`: the server answered a resubscribe with `recovered: false` (history lost or too short; refetch state);
   * `epoch_changed`: live publications moved to a new epoch;
   * `history_incomplete`: a jump in live offsets could not be filled from history.
   */
  readonly reason: 'not_recovered' | 'epoch_changed' | 'history_incomplete';
}

/** A publication of the channel was deleted (a moderator, or its author): drop what it showed. */
export interface DeletedEvent {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
}

/** `idle`: not wanted; `subscribing`: waiting for `subscribed` (also while the client reconnects); `subscribed`. */
export type SubscriptionState = 'idle' | 'subscribing' | 'subscribed';

/** Events of a {@link Subscription}. */
export interface SubscriptionEvents extends Record<string, unknown> {
  /** Each publication once, in offset order (recovered ones first). */
  publication: PublicationMessage;
  /**
   * A publication was deleted: live (`deleted` from the server, also for one delivered earlier) or a tombstone met in
   * order (history on subscribe, recovery), in place of the publication.
   */
  deleted: DeletedEvent;
  gap: GapEvent;
  /** Every successful (re)subscribe. */
  subscribed: SubscribedMessage;
  /** The server ended the subscription, or a subscribe failed for good (`code` says why). */
  unsubscribed: { readonly channel: string; readonly code: string; readonly reason: string };
  join: JoinMessage;
  leave: LeaveMessage;
  typing: TypingEventMessage;
  state: SubscriptionState;
}

/** Options of a subscription. */
export interface SubscriptionOptions {
  /** Ask for the presence list and `join` / `leave` events. @default false */
  readonly presence?: boolean;
  /** Where to recover from on the first subscribe (then the client tracks it). `null`: do not recover. @default the client's stored position */
  readonly since?: StreamPosition | null;
  /**
   * Publications a `for await` loop may hold unread before it fails with `overflow`; also the most the subscription
   * keeps, while no loop is open, for the first loop since the subscribe (beyond it they are dropped).
   * @default 10000: a consumer that falls this far behind has a bug; memory stays bounded
   */
  readonly iteratorBuffer?: number;
}

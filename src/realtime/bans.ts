// Realtime: the ban check of connect, refresh and subscribe: the broker's deny-list, with this node's memory of bans.
import type { Broker } from '../broker/index.ts';
import type { RealtimeObserver } from './observer.ts';

/**
 * Between the user and the channel in the ban-list key of a ban from one channel (`kick` with a duration). User ids
 * never contain it (tokens' `sub` and the moderation API allow printable characters only).
 */
export const CHANNEL_BAN_SEPARATOR = '\u0000';

/**
 * The ban-list key of a user's ban from one channel.
 * @param user User id.
 * @param channel Channel name.
 */
export function channelBanKey(user: string, channel: string): string {
  return `${user}${CHANNEL_BAN_SEPARATOR}${channel}`;
}

/** Most bans a node remembers locally (from ban signals and checks); beyond it the one ending soonest is forgotten. */
const MAX_REMEMBERED_BANS = 10_000;

/**
 * Decides whether a user is banned. The broker's deny-list is the truth; this node also remembers the bans it heard
 * of (its own and other nodes' ban signals, and bans its checks found), so that while the broker is unreachable the
 * check still refuses those. Otherwise it fails open: a broker outage must not lock every user out of every node
 * (connections need no broker; publishes fail anyway with `broker_unavailable` until it is back). The failure is
 * reported on the observer.
 */
export class BanGuard {
  readonly #broker: Broker;
  readonly #observer: RealtimeObserver;
  readonly #known = new Map<string, number>();

  /**
   * @param broker Where bans are kept.
   * @param observer Where a failed check is reported.
   */
  constructor(broker: Broker, observer: RealtimeObserver) {
    this.#broker = broker;
    this.#observer = observer;
  }

  /**
   * @param user A user id.
   * @returns Whether the user is banned now.
   */
  async isBanned(user: string): Promise<boolean> {
    try {
      const record = await this.#broker.isBanned(user);
      if (record === null) {
        this.#known.delete(user);
        return false;
      }
      this.remember(user, record.until);
      return true;
    } catch (err) {
      this.#observer.internalError?.(err);
      const until = this.#known.get(user);
      return until !== undefined && until > Date.now();
    }
  }

  /**
   * @param user A user id.
   * @param channel A channel the user wants to subscribe to.
   * @returns `user` when the user is banned, `channel` when banned from this channel, else null.
   */
  async bannedFrom(user: string, channel: string): Promise<'user' | 'channel' | null> {
    const [everywhere, here] = await Promise.all([this.isBanned(user), this.isBanned(channelBanKey(user, channel))]);
    return everywhere ? 'user' : here ? 'channel' : null;
  }

  /**
   * Remembers a ban (a ban signal, or a ban issued here).
   * @param user The user.
   * @param until When the ban ends, in ms since the Unix epoch.
   */
  remember(user: string, until: number): void {
    this.#known.delete(user);
    if (this.#known.size >= MAX_REMEMBERED_BANS) {
      const now = Date.now();
      let soonest: string | null = null;
      let soonestUntil = Infinity;
      for (const [u, t] of this.#known) {
        if (t <= now) this.#known.delete(u);
        else if (t < soonestUntil) [soonest, soonestUntil] = [u, t];
      }
      if (soonest !== null && this.#known.size >= MAX_REMEMBERED_BANS) this.#known.delete(soonest);
    }
    this.#known.set(user, until);
  }

  /**
   * Forgets a ban (lifted).
   * @param user The user.
   */
  forget(user: string): void {
    this.#known.delete(user);
  }
}

// Realtime: moderation across nodes: bans, kicks from a channel, deleting publications, the address deny-list.
import type { BanRecord, Broker, DeleteResult } from '../broker/index.ts';
import { TrustedProxies } from '../engine/index.ts';
import { ErrorCode, Limits, isPrintableString, type JsonValue } from '../messages/index.ts';
import { CHANNEL_BAN_SEPARATOR, channelBanKey, type BanGuard } from './bans.ts';
import type { Namespaces } from './namespaces.ts';
import { leave } from './operations/index.ts';
import type { HubServices } from './services.ts';
import type { Session } from './session.ts';

/** Longest ban: a year. A longer one is refused (`RangeError`): permanent exclusion is the token issuer's job. */
export const MAX_BAN_MS = 365 * 24 * 3_600_000;
/** Longest ban or kick reason, in UTF-16 code units (it travels in an `unsubscribed` reason, capped by the protocol). */
export const MAX_MODERATION_REASON_LENGTH = 200;

/** What moderation needs from its hub. */
export interface ModerationHost {
  readonly broker: Broker;
  readonly namespaces: Namespaces;
  readonly services: HubServices;
  readonly bans: BanGuard;
  /** This node's sessions of a user. */
  sessionsOf(user: string): Iterable<Session>;
  /** Closes this node's sessions of a user with 4504; returns how many. */
  disconnectUser(user: string): number;
  /** Sends a control signal to the other nodes (the hub adds its node id). */
  signal(data: Readonly<Record<string, JsonValue>>): Promise<void>;
}

/**
 * Checks a user id given by a moderator (API, CLI): what a token's `sub` may be.
 * @param user Any value.
 * @returns Whether it is a user id.
 */
export function isModeratedUser(user: unknown): user is string {
  return typeof user === 'string' && user.length > 0 && isPrintableString(user, Limits.MAX_USER_LENGTH);
}

/**
 * Checks a moderation reason.
 * @param reason Any value.
 * @returns Whether it is an acceptable reason (printable, at most {@link MAX_MODERATION_REASON_LENGTH}).
 */
export function isModerationReason(reason: unknown): reason is string {
  return reason === '' || isPrintableString(reason, MAX_MODERATION_REASON_LENGTH);
}

/**
 * The moderation actions of a {@link RealtimeServer} (`hub.moderation`): every one acts on every node sharing the
 * broker. Bans live in the broker's deny-list and are checked at `connect`, `refresh` and `subscribe`; issuing one
 * also closes the user's live sessions everywhere (the control signal of `revokeUser`).
 */
export class Moderation {
  readonly #host: ModerationHost;
  readonly #denied: TrustedProxies | null;
  readonly #proxies: TrustedProxies;

  /**
   * @param host The hub's services.
   * @param addresses `denyAddresses`: addresses and CIDR ranges refused; `trustedProxies`: whose X-Forwarded-For counts.
   * @throws {TypeError} Naming the first entry of `denyAddresses` that is neither an address nor a CIDR range.
   */
  constructor(
    host: ModerationHost,
    addresses: { readonly denyAddresses: readonly string[]; readonly trustedProxies: readonly string[] },
  ) {
    this.#host = host;
    this.#denied = addresses.denyAddresses.length === 0 ? null : denyList(addresses.denyAddresses);
    this.#proxies = new TrustedProxies(addresses.trustedProxies);
  }

  /**
   * Whether an address is on the deny-list (`denyAddresses`).
   * @param address The client's address, resolved through trusted proxies.
   */
  isDeniedAddress(address: string): boolean {
    return this.#denied?.trusts(address) === true;
  }

  /**
   * Whether an HTTP request (a page) comes from a denied address, resolved like the handshake's.
   * @param peer The socket's remote address.
   * @param forwardedFor The `X-Forwarded-For` header, believed only from a trusted proxy.
   */
  isDeniedRequest(peer: string, forwardedFor: string | readonly string[] | undefined): boolean {
    return this.#denied !== null && this.isDeniedAddress(this.#proxies.resolve(peer, forwardedFor));
  }

  /**
   * Bans a user on every node for a while and closes their sessions everywhere (4504, `reconnect: false`).
   * @param user User id.
   * @param durationMs How long, 1 ms to {@link MAX_BAN_MS}.
   * @param reason Why (shown in `GET /api/bans`), at most {@link MAX_MODERATION_REASON_LENGTH} printable characters.
   * @returns The ban, and how many sessions this node closed.
   * @throws {RangeError} For a bad user, duration or reason. @throws {BrokerError} When the broker fails.
   */
  async ban(user: string, durationMs: number, reason = ''): Promise<BanRecord & { readonly disconnected: number }> {
    if (!isModeratedUser(user)) throw new RangeError('Cannot ban: invalid user id');
    if (!isBanDuration(durationMs))
      throw new RangeError(`Cannot ban: the duration must be 1 ms to ${MAX_BAN_MS} ms (a year)`);
    if (!isModerationReason(reason)) throw new RangeError('Cannot ban: invalid reason');
    const record = await this.#host.broker.ban(user, durationMs, reason);
    this.#host.bans.remember(user, record.until);
    const disconnected = this.#host.disconnectUser(user);
    // `disconnect` makes nodes that know nothing of bans close the sessions too.
    await this.#host.signal({ disconnect: { user }, ban: { until: record.until } });
    return { ...record, disconnected };
  }

  /**
   * Lifts a ban on every node: the user's, or with `channel` their ban from that channel.
   * @param user User id.
   * @param channel The channel of a ban from one channel (a `kick` with a duration).
   * @returns Whether there was one.
   * @throws {RangeError} For a bad user id or channel. @throws {BrokerError} When the broker fails.
   */
  async unban(user: string, channel?: string): Promise<boolean> {
    if (!isModeratedUser(user)) throw new RangeError('Cannot unban: invalid user id');
    if (channel !== undefined && !this.#host.namespaces.resolve(channel).ok)
      throw new RangeError('Cannot unban: invalid channel');
    const key = channel === undefined ? user : channelBanKey(user, channel);
    this.#host.bans.forget(key);
    const existed = await this.#host.broker.unban(key);
    await this.#host.signal({ unban: { user: key } });
    return existed;
  }

  /**
   * The bans in force, soonest ending first; a ban from one channel carries its `channel`.
   * @param limit At most this many. @default 1000
   */
  async bans(limit = 1000): Promise<(BanRecord & { readonly channel?: string })[]> {
    return (await this.#host.broker.bans(limit)).map((record) => {
      const at = record.user.indexOf(CHANNEL_BAN_SEPARATOR);
      return at < 0
        ? record
        : { ...record, user: record.user.slice(0, at), channel: record.user.slice(at + CHANNEL_BAN_SEPARATOR.length) };
    });
  }

  /**
   * Unsubscribes every session of a user from a channel on every node (`unsubscribed` with code `forbidden`); their
   * presence there ends. Without `durationMs` it is not a ban: they may subscribe again. With it, they are banned from
   * that channel (its `subscribe` answers `forbidden`) for that long, like {@link ban} but for one channel.
   * @param user User id.
   * @param channel Channel name.
   * @param reason Why, sent in `unsubscribed.reason`.
   * @param durationMs How long they stay out of the channel, 1 ms to {@link MAX_BAN_MS}; absent: not at all.
   * @returns How many sessions this node unsubscribed.
   * @throws {RangeError} For a bad user, channel, reason or duration. @throws {BrokerError} When the broker fails.
   */
  async kick(user: string, channel: string, reason = '', durationMs?: number): Promise<number> {
    if (!isModeratedUser(user)) throw new RangeError('Cannot kick: invalid user id');
    if (!this.#host.namespaces.resolve(channel).ok) throw new RangeError('Cannot kick: invalid channel');
    if (!isModerationReason(reason)) throw new RangeError('Cannot kick: invalid reason');
    if (durationMs !== undefined && !isBanDuration(durationMs))
      throw new RangeError(`Cannot kick: the duration must be 1 ms to ${MAX_BAN_MS} ms (a year)`);
    let until: number | undefined;
    if (durationMs !== undefined) {
      const key = channelBanKey(user, channel);
      until = (await this.#host.broker.ban(key, durationMs, reason)).until;
      this.#host.bans.remember(key, until);
    }
    const local = await this.#kickLocal(user, channel, reason);
    await this.#host.signal({ kick: { user, channel, reason, ...(until === undefined ? {} : { until }) } });
    return local;
  }

  /**
   * Deletes a publication from the server side (moderation API): it becomes a tombstone, subscribers get `deleted`.
   * @param channel Channel name (its namespace must exist).
   * @param offset Its offset.
   * @param epoch Only in this epoch, if given.
   * @returns The broker's answer.
   * @throws {RangeError} For an invalid channel, unknown namespace or bad offset. @throws {BrokerError}.
   */
  deletePublication(channel: string, offset: number, epoch?: string): Promise<DeleteResult> {
    if (!this.#host.namespaces.resolve(channel).ok) throw new RangeError('Cannot delete: unknown channel');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('Cannot delete: invalid offset');
    return this.#host.broker.deletePublication(channel, offset, epoch === undefined ? {} : { epoch });
  }

  /**
   * Applies another node's control signal: remembers a ban, forgets a lifted one, kicks. Unknown shapes are ignored.
   * @param data The signal's data.
   */
  control(data: Readonly<Record<string, unknown>>): void {
    const { disconnect, ban, unban, kick } = data as {
      disconnect?: { user?: unknown };
      ban?: { until?: unknown };
      unban?: { user?: unknown };
      kick?: { user?: unknown; channel?: unknown; reason?: unknown; until?: unknown };
    };
    if (isRecord(ban) && isRecord(disconnect) && isModeratedUser(disconnect.user) && typeof ban.until === 'number')
      this.#host.bans.remember(disconnect.user, ban.until);
    if (isRecord(unban) && typeof unban.user === 'string') this.#host.bans.forget(unban.user);
    if (isRecord(kick) && isModeratedUser(kick.user) && typeof kick.channel === 'string') {
      const reason = isModerationReason(kick.reason) ? kick.reason : '';
      if (typeof kick.until === 'number') this.#host.bans.remember(channelBanKey(kick.user, kick.channel), kick.until);
      this.#kickLocal(kick.user, kick.channel, reason).catch((err: unknown) =>
        this.#host.services.observer.internalError?.(err),
      );
    }
  }

  async #kickLocal(user: string, channel: string, reason: string): Promise<number> {
    let count = 0;
    for (const session of [...this.#host.sessionsOf(user)]) {
      if (!session.subscriptions.has(channel)) continue;
      count++;
      await leave(session, this.#host.services, channel);
      session.send({
        type: 'unsubscribed',
        channel,
        code: ErrorCode.FORBIDDEN,
        reason: reason === '' ? 'Removed from the channel by a moderator' : reason,
      });
    }
    return count;
  }
}

function isBanDuration(durationMs: number): boolean {
  return Number.isSafeInteger(durationMs) && durationMs >= 1 && durationMs <= MAX_BAN_MS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function denyList(entries: readonly string[]): TrustedProxies {
  try {
    return new TrustedProxies(entries);
  } catch (err) {
    throw new TypeError(
      `denyAddresses: ${(err as Error).message.replace(/^trustedProxies: /, '')} (expected 203.0.113.7 or 203.0.113.0/24)`,
    );
  }
}

// Broker (Redis): the ban list: one key per banned user expiring with the ban, and a sorted set by end time to list them.
import type { Redis } from 'ioredis';
import { checkBanDuration, checkCount } from '../checks.ts';
import type { BanRecord } from '../types.ts';
import { banKeys } from './keys.ts';
import { BAN } from './ban-scripts.ts';

/** What the ban list needs from its broker. */
export interface RedisBansDeps {
  readonly redis: Redis;
  readonly prefix: string;
  /** Runs one Redis call with the broker's checks (closed, in-flight cap) and error mapping. */
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
}

/** Reads a ban key's value, `<until> <reason>`. */
function parseBan(user: string, value: string): BanRecord {
  const space = value.indexOf(' ');
  return { user, until: Number(value.slice(0, space)), reason: value.slice(space + 1) };
}

/** The ban list of {@link RedisBroker}: shared by every node, each ban ending by itself (the key's PX expiry). */
export class RedisBans {
  readonly #deps: RedisBansDeps;

  /** @param deps The broker's connection, key prefix and call wrapper. */
  constructor(deps: RedisBansDeps) {
    this.#deps = deps;
  }

  /** @see Broker.ban */
  async ban(user: string, durationMs: number, reason: string): Promise<BanRecord> {
    const duration = checkBanDuration(durationMs);
    const keys = banKeys(this.#deps.prefix, user);
    const until = (await this.#deps.run('ban', () =>
      BAN.run(this.#deps.redis, [keys.ban, keys.index], [user, duration, reason]),
    )) as Buffer;
    return { user, until: Number(until.toString()), reason };
  }

  /** @see Broker.unban */
  async unban(user: string): Promise<boolean> {
    const keys = banKeys(this.#deps.prefix, user);
    const { redis } = this.#deps;
    const [deleted] = await this.#deps.run('unban', () =>
      Promise.all([redis.del(keys.ban), redis.zrem(keys.index, user)]),
    );
    return deleted > 0;
  }

  /** @see Broker.isBanned */
  async get(user: string): Promise<BanRecord | null> {
    const value = await this.#deps.run('read a ban', () => this.#deps.redis.get(banKeys(this.#deps.prefix, user).ban));
    return value === null ? null : parseBan(user, value);
  }

  /** @see Broker.bans */
  async list(limit: number): Promise<BanRecord[]> {
    checkCount(limit, 'limit');
    if (limit === 0) return [];
    const { redis, prefix } = this.#deps;
    const index = banKeys(prefix, '').index;
    const users = await this.#deps.run('list bans', async () => {
      await redis.zremrangebyscore(index, '-inf', Date.now());
      return redis.zrangebyscore(index, '-inf', '+inf', 'LIMIT', 0, limit);
    });
    if (users.length === 0) return [];
    const values = await this.#deps.run('list bans', () => redis.mget(users.map((user) => banKeys(prefix, user).ban)));
    const records: BanRecord[] = [];
    // A key gone meanwhile (ended or lifted) is left out.
    users.forEach((user, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) records.push(parseBan(user, value));
    });
    return records;
  }
}

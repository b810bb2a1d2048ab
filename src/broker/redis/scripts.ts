// Broker (Redis): running Lua scripts (EVALSHA, EVAL on NOSCRIPT) and the Lua helpers they share. The scripts live by
// idea: stream-scripts.ts (publish, history, delete), presence-scripts.ts, occupancy-scripts.ts, ban-scripts.ts.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not know it (NOSCRIPT: first use,
 * or a Redis that restarted empty). Replies come back with bulk strings as `Buffer`, so binary bodies survive.
 */
export class LuaScript {
  readonly lua: string;
  readonly sha: string;

  /** @param lua The script source. */
  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Runs the script.
   * @param redis The client to run it on.
   * @param keys KEYS, all in the slot of one channel (hash tag) except where a script says otherwise.
   * @param args ARGV.
   * @returns The raw reply.
   */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | Buffer | number)[]): Promise<unknown> {
    try {
      return await redis.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.callBuffer('EVAL', this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** Shared Lua helpers: the server clock in ms, and integers printed without exponent. */
export const PRELUDE = `
local function fmt(n) return string.format('%.0f', n) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function notify(channel, sharded, message)
  if sharded == '1' then redis.call('SPUBLISH', channel, message) else redis.call('PUBLISH', channel, message) end
end
`;

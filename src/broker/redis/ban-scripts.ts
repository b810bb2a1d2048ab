// Broker (Redis): the Lua script that records a ban and prunes the ban index atomically.
import { LuaScript, PRELUDE } from './scripts.ts';

/**
 * Bans a user: KEYS the user's ban key, the ban index (sorted set by end time). ARGV user, duration ms, reason.
 * The key expires by itself (PX); the index is pruned of ended bans on every ban. Returns the end time (server clock).
 */
export const BAN = new LuaScript(`${PRELUDE}
local now = now_ms()
local ends = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], fmt(ends) .. ' ' .. ARGV[3], 'PX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
redis.call('ZADD', KEYS[2], fmt(ends), ARGV[1])
return fmt(ends)
`);

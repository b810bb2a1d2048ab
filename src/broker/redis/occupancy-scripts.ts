// Broker (Redis): the Lua scripts of channel occupancy (which nodes have a handler for a channel).
import { LuaScript } from './scripts.ts';

/**
 * Channel occupancy: the set of nodes that have at least one handler for a channel. Sets whether this node is a
 * member, atomically with reading the set's size, so exactly one caller in the cluster sees each 0 → 1 and 1 → 0.
 * KEYS: the channel's occupancy set, the node's occupied-channel set. ARGV: node, '1' (member) or '0', channel name.
 * Returns 1 when the channel became occupied, -1 when it became vacated, 0 otherwise.
 */
export const OCCUPANCY_SET = new LuaScript(`
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1 then return 1 end
  return 0
end
redis.call('SREM', KEYS[2], ARGV[3])
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 0 then return -1 end
return 0
`);

/**
 * Removes a dead node from one channel's occupancy set, unless its heartbeat came back meanwhile.
 * KEYS: the channel's occupancy set, the node's heartbeat key. ARGV: node.
 * Returns -1 when this removal vacated the channel, 0 otherwise.
 */
export const OCCUPANCY_SWEEP = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 0 then return -1 end
return 0
`);

// Broker (Redis): the Lua scripts of presence (add, remove, sweep, list) and of node liveness (heartbeat, forget).
import { LuaScript, PRELUDE } from './scripts.ts';

/** Presence helpers. KEYS layout shared by the presence scripts: p, pn, pi, u, ui (see `ChannelKeys`). */
const PRESENCE = `
local left = {}
local function user_event(kind, user, info)
  return kind .. string.len(user) .. ':' .. user .. (info or '')
end
local function remove_conn(conn, pubsub, sharded)
  local user = redis.call('HGET', KEYS[1], conn)
  if not user then return 0 end
  redis.call('HDEL', KEYS[1], conn)
  redis.call('HDEL', KEYS[2], conn)
  redis.call('HDEL', KEYS[3], conn)
  local n = redis.call('HINCRBY', KEYS[4], user, -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[4], user)
    local info = redis.call('HGET', KEYS[5], user)
    redis.call('HDEL', KEYS[5], user)
    notify(pubsub, sharded, user_event('l', user, info))
    left[#left + 1] = user
    left[#left + 1] = info and ('1' .. info) or '0'
  end
  return 1
end
`;

/**
 * Adds or refreshes a connection's presence; publishes a join when it is the user's first connection.
 * KEYS: p, pn, pi, u, ui, the node's channel set. ARGV: connection, user, node, has info ('1'/'0'), info,
 * pub/sub channel, sharded, channel name.
 * Returns `{joined (0/1), left}`: left lists the users whose last connection this call removed (a connection
 * re-added under another user), as pairs user, `'0'` or `'1' .. info`.
 */
export const PRESENCE_ADD = new LuaScript(`${PRELUDE}${PRESENCE}
local conn, user = ARGV[1], ARGV[2]
local prev = redis.call('HGET', KEYS[1], conn)
if prev and prev ~= user then remove_conn(conn, ARGV[6], ARGV[7]) end
redis.call('HSET', KEYS[1], conn, user)
redis.call('HSET', KEYS[2], conn, ARGV[3])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[3], conn, ARGV[5])
  redis.call('HSET', KEYS[5], user, ARGV[5])
else
  redis.call('HDEL', KEYS[3], conn)
  redis.call('HDEL', KEYS[5], user)
end
redis.call('SADD', KEYS[6], ARGV[8])
if prev == user then return {0, left} end
if redis.call('HINCRBY', KEYS[4], user, 1) == 1 then
  notify(ARGV[6], ARGV[7], user_event('j', user, ARGV[4] == '1' and ARGV[5] or nil))
  return {1, left}
end
return {0, left}
`);

/**
 * Removes a connection's presence; publishes a leave when it was the user's last connection.
 * KEYS: p, pn, pi, u, ui, the node's channel set. ARGV: connection, pub/sub channel, sharded, channel name,
 * '1' when the node has no other connection in the channel (drops the channel from the node's set).
 * Returns `{removed (0/1), left}` (left as in PRESENCE_ADD).
 */
export const PRESENCE_REMOVE = new LuaScript(`${PRELUDE}${PRESENCE}
local removed = remove_conn(ARGV[1], ARGV[2], ARGV[3])
if ARGV[5] == '1' then redis.call('SREM', KEYS[6], ARGV[4]) end
return {removed, left}
`);

/**
 * Removes every entry a dead node left in one channel, unless its heartbeat came back meanwhile.
 * KEYS: p, pn, pi, u, ui, the node's heartbeat key. ARGV: node, pub/sub channel, sharded.
 * Returns `{number removed or -1 when the node is alive, left}` (left as in PRESENCE_ADD).
 */
export const PRESENCE_SWEEP = new LuaScript(`${PRELUDE}${PRESENCE}
if redis.call('EXISTS', KEYS[6]) == 1 then return {-1, left} end
local all = redis.call('HGETALL', KEYS[2])
local removed = 0
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then removed = removed + remove_conn(all[i], ARGV[2], ARGV[3]) end
end
return {removed, left}
`);

/** Who is in a channel: KEYS u, ui. Returns `{users and counts, users and infos}` as flat arrays. */
export const PRESENCE_LIST = new LuaScript(`
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`);

/**
 * A node's heartbeat: KEYS heartbeat key, node registry. ARGV node, TTL ms.
 * Returns 1 when the heartbeat was still alive, 0 when it had expired (the node's presence may have been swept).
 */
export const HEARTBEAT = new LuaScript(`
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return existed
`);

/**
 * Forgets a dead node once its channels were swept: KEYS heartbeat, node's channel set, registry, node's occupied
 * set. ARGV node.
 */
export const FORGET_NODE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[4])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
`);

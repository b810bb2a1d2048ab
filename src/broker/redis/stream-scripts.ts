// Broker (Redis): the Lua scripts that make publish, history and delete (tombstones) atomic on the Redis server.
import { LuaScript, PRELUDE } from './scripts.ts';

/**
 * Creates the channel's meta hash when missing, with a new epoch, and drops any stream (and tombstones) left from an
 * older life. The tombstone hash's key is the stream's with its last letter changed (`:s` to `:d`, same hash tag).
 */
const ENSURE_META = `
local function tomb_key(stream) return string.sub(stream, 1, -2) .. 'd' end
local function latest_key(stream) return string.sub(stream, 1, -2) .. 'l' end
local function order_key(stream) return string.sub(stream, 1, -2) .. 'z' end
local function ensure_meta(meta, stream, new_epoch, idle_ttl)
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'floor')
  if m[1] then return m[1], tonumber(m[2]), tonumber(m[3]), false end
  redis.call('DEL', stream, tomb_key(stream), latest_key(stream), order_key(stream))
  redis.call('HSET', meta, 'epoch', new_epoch, 'top', '0', 'floor', '1')
  redis.call('PEXPIRE', meta, idle_ttl)
  return new_epoch, 0, 1, true
end
`;

/**
 * Publish, atomically: idempotency check, epoch (created once), offset (HINCRBY, so contiguous), XADD with an
 * approximate MAXLEN cap and the entry's expiry, stream and meta TTLs, the idempotency record, then PUBLISH of
 * the publication with its offset. The caller acknowledges only after this returned.
 *
 * KEYS: meta, stream, idempotency key (meta again when none).
 * ARGV: new epoch, body, historySize, historyTtlMs, idempotencyWindowMs, has key ('1'/'0'), pub/sub channel,
 * sharded ('1'/'0'), channel idle TTL ms, latest max keys (0: keep none), latest slot (the feed key, '' for none).
 * With latest max keys > 0 the publication also becomes the latest of its slot (hash `:l`, order set `:z`, the least
 * recently published slots evicted beyond the maximum), in the same script, so a snapshot never misses a stored one.
 * Returns `{0, epoch, offset, time}` for a new publication, `{1, "epoch offset"}` for a duplicate.
 */
export const PUBLISH = new LuaScript(`${PRELUDE}${ENSURE_META}
if ARGV[6] == '1' then
  local seen = redis.call('GET', KEYS[3])
  if seen then return {1, seen} end
end
local now = now_ms()
local epoch, _, floor = ensure_meta(KEYS[1], KEYS[2], ARGV[1], ARGV[9])
local offset = redis.call('HINCRBY', KEYS[1], 'top', 1)
local size = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local id = fmt(offset)
if size > 0 and ttl > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0', 'b', ARGV[2], 't', fmt(now), 'e', fmt(now + ttl))
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  -- MAXLEN ~ trims lazily; 'floor' is the exact lowest retained offset, which reads honour.
  local low = offset - size + 1
  if low > floor then redis.call('HSET', KEYS[1], 'floor', fmt(low)) end
else
  redis.call('DEL', KEYS[2], tomb_key(KEYS[2]))
  redis.call('HSET', KEYS[1], 'floor', fmt(offset + 1))
end
local keep = tonumber(ARGV[10])
if keep > 0 and ttl > 0 then
  local lk, zk = latest_key(KEYS[2]), order_key(KEYS[2])
  redis.call('HSET', lk, ARGV[11], id .. ':' .. fmt(now) .. ':' .. fmt(now + ttl) .. ':' .. ARGV[2])
  redis.call('ZADD', zk, offset, ARGV[11])
  local excess = redis.call('ZCARD', zk) - keep
  if excess > 0 then
    for _, slot in ipairs(redis.call('ZRANGE', zk, 0, excess - 1)) do redis.call('HDEL', lk, slot) end
    redis.call('ZREMRANGEBYRANK', zk, 0, excess - 1)
  end
  redis.call('PEXPIRE', lk, ARGV[4])
  redis.call('PEXPIRE', zk, ARGV[4])
end
local idle = tonumber(ARGV[9])
if ttl > idle then idle = ttl end
redis.call('PEXPIRE', KEYS[1], fmt(idle))
if ARGV[6] == '1' and tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[3], epoch .. ' ' .. id, 'PX', ARGV[5])
end
notify(ARGV[7], ARGV[8], 'p' .. id .. ':' .. fmt(now) .. ':' .. epoch .. ':' .. ARGV[2])
return {0, epoch, id, fmt(now)}
`);

/**
 * History read, atomically with the channel's position. The oldest retained offset skips the expired prefix
 * of the stream (entries expire in order, like the in-memory ring), so a recovery never spans a hole.
 *
 * KEYS: meta, stream. ARGV: new epoch, channel idle TTL ms, mode ('since' | 'latest'), since epoch,
 * since offset, before (-1: none), limit (-1: all).
 * Returns `{epoch, top, recovered (0/1), entries}`; entries are XRANGE replies, ascending in 'since' mode and
 * descending in 'latest' mode.
 */
export const HISTORY = new LuaScript(`${PRELUDE}${ENSURE_META}
local now = now_ms()
local epoch, top, floor = ensure_meta(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local oldest = top + 1
local cursor = fmt(floor)
local pages = 0
local skipped = false
while pages < 1000 do
  pages = pages + 1
  local batch = redis.call('XRANGE', KEYS[2], cursor, '+', 'COUNT', 64)
  if #batch == 0 then break end
  local found = false
  for _, entry in ipairs(batch) do
    if tonumber(entry[2][6]) > now then
      oldest = tonumber(string.match(entry[1], '^(%d+)'))
      found = true
      break
    end
    skipped = true
  end
  if found then break end
  cursor = '(' .. batch[#batch][1]
end
-- Tombstones (deleted publications, whose stream entries were removed), a sorted set by offset: drop those below the
-- floor (trimmed) and the expired ones at its low end (they expire in offset order, like the stream); the lowest live
-- one may be older than the first stream entry. Reads below touch only the tombstones of the range they return.
local tomb = tomb_key(KEYS[2])
local has_tombs = redis.call('EXISTS', tomb) == 1
if has_tombs then
  redis.call('ZREMRANGEBYSCORE', tomb, '-inf', '(' .. fmt(floor))
  for _ = 1, 1000 do
    local low = redis.call('ZRANGE', tomb, 0, 63)
    if #low == 0 then has_tombs = false break end
    local live = nil
    for _, m in ipairs(low) do
      local off, _, e = string.match(m, '^(%d+):(%d+):(%d+)$')
      if tonumber(e) > now then live = tonumber(off) break end
      redis.call('ZREM', tomb, m)
    end
    if live then
      if live < oldest then oldest = live end
      break
    end
  end
end
-- Drop the expired prefix so the next read does not scan it again.
if skipped then redis.call('XTRIM', KEYS[2], 'MINID', fmt(oldest)) end
-- Stream entries from lo to hi (descending when rev), tombstones merged in as entries whose first field is 'x'.
local function read(lo, hi, limit, rev)
  local entries
  if rev then
    if limit > 0 then entries = redis.call('XREVRANGE', KEYS[2], fmt(hi), fmt(lo), 'COUNT', limit)
    else entries = redis.call('XREVRANGE', KEYS[2], fmt(hi), fmt(lo)) end
  else
    if limit > 0 then entries = redis.call('XRANGE', KEYS[2], fmt(lo), fmt(hi), 'COUNT', limit)
    else entries = redis.call('XRANGE', KEYS[2], fmt(lo), fmt(hi)) end
  end
  if not has_tombs then return entries end
  local found
  if rev then
    if limit > 0 then found = redis.call('ZREVRANGEBYSCORE', tomb, fmt(hi), fmt(lo), 'LIMIT', 0, limit)
    else found = redis.call('ZREVRANGEBYSCORE', tomb, fmt(hi), fmt(lo)) end
  else
    if limit > 0 then found = redis.call('ZRANGEBYSCORE', tomb, fmt(lo), fmt(hi), 'LIMIT', 0, limit)
    else found = redis.call('ZRANGEBYSCORE', tomb, fmt(lo), fmt(hi)) end
  end
  if #found == 0 then return entries end
  local marks = {}
  for _, m in ipairs(found) do
    local off, t, e = string.match(m, '^(%d+):(%d+):(%d+)$')
    marks[#marks + 1] = {off .. '-0', {'x', '', 't', t, 'e', e}}
  end
  local out = {}
  local i, j = 1, 1
  while (limit <= 0 or #out < limit) and (i <= #entries or j <= #marks) do
    local take_entry
    if i > #entries then take_entry = false
    elseif j > #marks then take_entry = true
    else
      local a = tonumber(string.match(entries[i][1], '^(%d+)'))
      local b = tonumber(string.match(marks[j][1], '^(%d+)'))
      if rev then take_entry = a > b else take_entry = a < b end
    end
    if take_entry then out[#out + 1] = entries[i]; i = i + 1 else out[#out + 1] = marks[j]; j = j + 1 end
  end
  return out
end
local limit = tonumber(ARGV[7])
local hi = top
local before = tonumber(ARGV[6])
if before >= 0 and before - 1 < hi then hi = before - 1 end
local top_s = fmt(top)
if ARGV[3] == 'since' then
  local since = tonumber(ARGV[5])
  if ARGV[4] ~= epoch or since > top or since < oldest - 1 then return {epoch, top_s, 0, {}} end
  local lo = since + 1
  if oldest > lo then lo = oldest end
  if limit == 0 or lo > hi then return {epoch, top_s, 1, {}} end
  return {epoch, top_s, 1, read(lo, hi, limit, false)}
end
if limit == 0 or oldest > hi then return {epoch, top_s, 0, {}} end
return {epoch, top_s, 0, read(oldest, hi, limit, true)}
`);

/**
 * The latest publication per feed key, atomically with the channel's position: the newest `limit` slots of the order
 * set, their values from the hash, expired ones dropped (from the reply and from Redis).
 *
 * KEYS: meta, stream. ARGV: new epoch, channel idle TTL ms, limit.
 * Returns `{epoch, top, values}`, values `<offset>:<time>:<expiresAt>:<body>` in ascending offset order.
 */
export const LATEST = new LuaScript(`${PRELUDE}${ENSURE_META}
local now = now_ms()
local epoch, top = ensure_meta(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local limit = tonumber(ARGV[3])
local out = {}
if limit == 0 then return {epoch, fmt(top), out} end
local lk, zk = latest_key(KEYS[2]), order_key(KEYS[2])
local slots = redis.call('ZRANGE', zk, -limit, -1)
if #slots == 0 then return {epoch, fmt(top), out} end
local values = redis.call('HMGET', lk, unpack(slots))
for i, v in ipairs(values) do
  if v then
    local e = string.match(v, '^%d+:%d+:(%d+):')
    if e and tonumber(e) > now then out[#out + 1] = v
    else redis.call('HDEL', lk, slots[i]); redis.call('ZREM', zk, slots[i]) end
  else
    redis.call('ZREM', zk, slots[i])
  end
end
return {epoch, fmt(top), out}
`);

/**
 * Deletes one publication, atomically: the stream entry is removed (its data is gone) and a tombstone recorded at
 * its offset in the channel's tombstone set (sorted by offset, members `offset:time:expiresAt`), which history reads
 * merge back in, so offsets stay contiguous; then the `deleted` event is published. An author's delete checks the stored sender.
 *
 * KEYS: meta, stream. ARGV: new epoch, channel idle TTL ms, offset, epoch ('' for any), only-sender ('1'/'0'),
 * sender, pub/sub channel, sharded.
 * Returns `{result, epoch}`, result one of `deleted`, `already_deleted`, `not_found`, `not_sender`.
 */
export const DELETE = new LuaScript(`${PRELUDE}${ENSURE_META}
local now = now_ms()
local epoch, top, floor = ensure_meta(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] ~= '' and ARGV[4] ~= epoch then return {'not_found', epoch} end
local offset = tonumber(ARGV[3])
if offset < 1 or offset < floor or offset > top then return {'not_found', epoch} end
local id = fmt(offset)
local tomb = tomb_key(KEYS[2])
local mark = redis.call('ZRANGEBYSCORE', tomb, id, id)[1]
if mark then
  local e = string.match(mark, ':(%d+)$')
  if tonumber(e) > now then return {'already_deleted', epoch} end
  return {'not_found', epoch}
end
local entry = redis.call('XRANGE', KEYS[2], id, id)
if #entry == 0 then return {'not_found', epoch} end
local f = entry[1][2]
if tonumber(f[6]) <= now then return {'not_found', epoch} end
local ok, body = pcall(cjson.decode, f[2])
if ARGV[5] == '1' then
  if not ok or type(body) ~= 'table' or body['s'] ~= ARGV[6] then return {'not_sender', epoch} end
end
redis.call('XDEL', KEYS[2], id .. '-0')
-- A deleted publication that is the latest of its key leaves the snapshot.
local slot = ''
if ok and type(body) == 'table' and type(body['k']) == 'string' then slot = body['k'] end
local kept = redis.call('HGET', latest_key(KEYS[2]), slot)
if kept and string.sub(kept, 1, #id + 1) == id .. ':' then
  redis.call('HDEL', latest_key(KEYS[2]), slot)
  redis.call('ZREM', order_key(KEYS[2]), slot)
end
redis.call('ZADD', tomb, offset, id .. ':' .. f[4] .. ':' .. f[6])
local ttl = redis.call('PTTL', KEYS[2])
if ttl <= 0 then ttl = tonumber(ARGV[2]) end
redis.call('PEXPIRE', tomb, ttl)
notify(ARGV[7], ARGV[8], 'd' .. id .. ':' .. epoch)
return {'deleted', epoch}
`);

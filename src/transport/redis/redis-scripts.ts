/**
 * The Lua scripts that make the Redis transport's steps atomic. Keys and arguments are documented per script;
 * every script runs whole or not at all, so no other client sees a half-done step.
 */

/**
 * Admission with backpressure, many entries at once: adds, in order, as many of the given messages as fit
 * while the stream's backlog (its length: acknowledged entries are deleted) stays under the capacity.
 * KEYS[1] the stream; ARGV[1] the capacity; ARGV[2..] the messages (each becomes an entry with one field, `m`).
 * Returns how many were added: the first ones; the others wait and are offered again.
 * Never trims: trimming would delete entries nobody has handled.
 */
export const ADMIT = `
local count = math.min(#ARGV - 1, tonumber(ARGV[1]) - redis.call('XLEN', KEYS[1]))
for i = 1, count do redis.call('XADD', KEYS[1], '*', 'm', ARGV[i + 1]) end
return math.max(count, 0)
`;

/**
 * Fenced acknowledgements of several partitions at once: only a lease's holder may acknowledge its stream's
 * entries. KEYS come in pairs, a lease and its stream; ARGV[1] the holder's token, ARGV[2] the group, then
 * per pair the number of entry ids and the ids. Acknowledges and deletes the entries (so a stream's length
 * stays its backlog; in slices, as Lua's `unpack` has a limit) and returns, per pair, how many were
 * acknowledged, or `-1` when the lease is not the caller's (nothing of that stream changed).
 */
export const ACK_IF_HOLDER = `
local results = {}
local at = 3
for pair = 1, #KEYS, 2 do
  local count = tonumber(ARGV[at])
  local first, last = at + 1, at + count
  at = last + 1
  if redis.call('GET', KEYS[pair]) ~= ARGV[1] then
    results[#results + 1] = -1
  else
    local acked = 0
    for from = first, last, 1000 do
      local to = math.min(from + 999, last)
      acked = acked + redis.call('XACK', KEYS[pair + 1], ARGV[2], unpack(ARGV, from, to))
      redis.call('XDEL', KEYS[pair + 1], unpack(ARGV, from, to))
    end
    results[#results + 1] = acked
  end
end
return results
`;

/** Extends a lease held by the caller. KEYS[1] the lease; ARGV[1] the token, ARGV[2] the TTL in ms. 1 or 0. */
export const RENEW_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

/** Gives a lease up, if the caller still holds it. KEYS[1] the lease; ARGV[1] the token. 1 or 0. */
export const RELEASE_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

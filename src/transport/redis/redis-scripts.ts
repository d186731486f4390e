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
 * A fenced acknowledgement: only the lease's holder may acknowledge. KEYS[1] the lease, KEYS[2] the stream;
 * ARGV[1] the holder's token, ARGV[2] the group, ARGV[3..] entry ids. Acknowledges and deletes the entries
 * (so the stream's length stays its backlog) and returns how many; `-1` when the lease is not the caller's.
 */
export const ACK_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local ids = { unpack(ARGV, 3) }
local acked = redis.call('XACK', KEYS[2], ARGV[2], unpack(ids))
redis.call('XDEL', KEYS[2], unpack(ids))
return acked
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

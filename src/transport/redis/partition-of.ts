const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The partition of an ordering key: FNV-1a (32 bits) over the key's UTF-16 code units, modulo `partitions`.
 * Stable across processes, machines and versions of this package, so every instance sends a chat's
 * messages to the same stream. Changing `partitions` moves keys: drain the streams first.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return (hash >>> 0) % partitions;
}

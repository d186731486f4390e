import { partitionOf } from './partition-of.js';

/**
 * The instance that should own a partition, by rendezvous (highest random weight) hashing: every instance
 * computes the same answer from the same member list, and when a member joins or leaves, only the partitions
 * it wins or held move.
 */
export function rendezvousOwner(partition: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const member of members) {
    const weight = mix(partitionOf(`${member}\u0000${partition}`, 2 ** 32));
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * MurmurHash3's 32-bit finaliser: FNV-1a alone mixes too little for keys that differ in one character (the
 * same member across partitions), which let one member win most partitions.
 */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

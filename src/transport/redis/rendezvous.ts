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
    const weight = partitionOf(`${member}\u0000${partition}`, 2 ** 32);
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

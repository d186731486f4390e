/** What the reader needs to know of its lane's partitions. */
export interface ReaderSettings {
  readonly group: string;
  readonly consumer: string;
  readonly readCount: number;
  readonly claimIdleMs: number;
  streamOf(partition: string): string;
  /** Whether this instance surely still holds the partition (see `PartitionOwnership.surelyHolds`). */
  surelyHolds(partition: string): boolean;
  /**
   * Acknowledges entries of several partitions at once, each only if this instance still holds it: per batch,
   * how many were acknowledged, or `undefined` when it does not hold the partition any more.
   */
  acknowledge(batches: readonly PartitionAcknowledgement[]): Promise<(number | undefined)[]>;
  warn(message: string): void;
}

/** Entries of one partition to acknowledge. */
export interface PartitionAcknowledgement {
  readonly partition: string;
  readonly ids: readonly string[];
}

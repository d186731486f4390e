import { describeError } from '../../bus/describe.js';
import type { PartitionAcknowledgement } from './reader-settings.interface.js';

/** An entry to acknowledge: its partition and id. */
export interface AcknowledgedEntry {
  readonly partition: string;
  readonly id: string;
}

/** What the batch needs: the fenced call, a logger, and who to tell once an entry is settled either way. */
export interface AcknowledgementTarget<E extends AcknowledgedEntry> {
  acknowledge(batches: readonly PartitionAcknowledgement[]): Promise<(number | undefined)[]>;
  warn(message: string): void;
  /** The acknowledgement of `entry` went through, or failed (it will be delivered again). */
  settled(entry: E): void;
}

/**
 * Collects the entries finished during one event-loop turn and acknowledges them, for every partition, in one
 * fenced call. A partition the instance lost meanwhile, or a failed call, is logged: those entries stay pending
 * and are delivered again.
 */
export class AcknowledgementBatch<E extends AcknowledgedEntry> {
  private entries = new Map<string, E[]>();
  private scheduled = false;
  private readonly underWay = new Set<Promise<void>>();

  constructor(private readonly target: AcknowledgementTarget<E>) {}

  add(entry: E): void {
    let entries = this.entries.get(entry.partition);
    if (entries === undefined) this.entries.set(entry.partition, (entries = []));
    entries.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what waits for the end of the turn, then waits for every call under way. */
  async settled(): Promise<void> {
    if (this.scheduled) this.flush();
    while (this.underWay.size > 0) await Promise.all(this.underWay);
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.entries].map(([partition, entries]) => ({ partition, entries, ids: entries.map((entry) => entry.id) }));
    this.entries = new Map();
    if (batches.length === 0) return;
    const { target } = this;
    const call = target
      .acknowledge(batches)
      .then((results) =>
        results.forEach((acked, index) => {
          const { partition, ids } = batches[index];
          if (acked === undefined) target.warn(`Lost partition ${partition} before acknowledging ${ids.length} entries: another instance will deliver them again`);
        }),
      )
      .catch((error: unknown) => target.warn(`Acknowledging ${batches.reduce((sum, { ids }) => sum + ids.length, 0)} entries failed (they will be delivered again): ${describeError(error)}`))
      .finally(() => {
        for (const { entries } of batches) for (const entry of entries) target.settled(entry);
        this.underWay.delete(call);
      });
    this.underWay.add(call);
  }
}

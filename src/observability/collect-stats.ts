import { LANE_NAMES } from '../bus.constants.js';
import type { Lane } from '../bus/lane.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { DispatchCounts, HandlerLoad } from '../dispatch/lane.dispatcher.js';
import type { BusStats, HandlerStats, LaneStats } from './bus-stats.interface.js';

/** Where the figures of `stats()` come from. */
export interface StatsSources {
  lane(name: LaneName): Pick<Lane<unknown>, 'size' | 'capacity' | 'waitingPublishers' | 'acceptedCount' | 'receivedCount'>;
  dispatcher(name: LaneName): { load(): HandlerLoad[]; readonly counts: DispatchCounts } | undefined;
  /** Reports to `onUndelivered`, per lane. */
  readonly undelivered: Readonly<Record<LaneName, number>>;
  quantiles(lane: LaneName, handler: string): { p50Ms: number | null; p99Ms: number | null };
  readonly closing: boolean;
}

/** Reads the lanes and the dispatchers once, into plain objects the caller may keep. */
export function collectStats(sources: StatsSources): BusStats {
  const lanes = {} as Record<LaneName, LaneStats>;
  const handlers: HandlerStats[] = [];
  for (const name of LANE_NAMES) {
    const lane = sources.lane(name);
    const dispatcher = sources.dispatcher(name);
    const loads = dispatcher?.load() ?? [];
    let failed = 0;
    for (const { handler, concurrency, inFlight, queuedKeys, queuedMessages, failures } of loads) {
      failed += failures;
      handlers.push({ lane: name, handler, inFlight, queuedKeys, queuedMessages, concurrency, ...sources.quantiles(name, handler) });
    }
    lanes[name] = {
      size: lane.size,
      capacity: lane.capacity,
      waitingPublishers: lane.waitingPublishers,
      published: lane.acceptedCount,
      delivered: dispatcher === undefined ? lane.receivedCount : dispatcher.counts.delivered,
      failed,
      undelivered: sources.undelivered[name],
    };
  }
  return { lanes, handlers, closing: sources.closing };
}

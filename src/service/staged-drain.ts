import type { Logger } from '@nestjs/common';
import { LANE_NAMES } from '../bus.constants.js';
import type { LaneDispatcher } from '../dispatch/lane.dispatcher.js';
import type { UndeliveredReason } from '../bus/undelivered.interface.js';
import type { CloseReport, LaneCloseReport } from '../bus/close-report.interface.js';
import type { Lane } from '../bus/lane.js';
import { setLongTimeout } from '../bus/long-timeout.js';
import type { LaneMessages, LaneName } from '../bus/messages.interface.js';

type AnyMessage = LaneMessages[LaneName];

/** The abort reason of running handler calls when the drain runs out of time. */
export const SHUTDOWN_REASON = 'shutdown';

/**
 * The bus's graceful close: inbound first (its handlers may still publish replies, which the outbound
 * lanes accept), then the outbound lanes. Debounce windows end at once. At the deadline, running calls'
 * signals abort and every message not finished is reported `'shutdown-timeout'`, each once.
 */
export class StagedDrain {
  private readonly leftovers: Record<LaneName, number> = { inbound: 0, outbound: 0, outboundMedia: 0 };

  constructor(
    private readonly lane: (name: LaneName) => Lane<AnyMessage>,
    private readonly dispatcher: (name: LaneName) => LaneDispatcher<AnyMessage> | undefined,
    private readonly reportUndelivered: (lane: LaneName, message: AnyMessage, reason: UndeliveredReason) => void,
    private readonly logger: Logger,
    /** Whether the app initialised: if not, nothing will ever consume a lane without handlers. */
    private readonly started: boolean,
  ) {}

  async run(timeoutMs: number): Promise<CloseReport> {
    const startedAt = performance.now();
    const before = this.countAll();
    const rejectedBefore = this.rejectedPublishers();
    const drained = this.drainInStages().then(() => true);
    let cancelTimer = (): void => undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancelTimer = setLongTimeout(() => resolve(false), timeoutMs);
    });
    const completed = await Promise.race([drained, timedOut]);
    cancelTimer();
    if (!completed) this.abandonLeftovers();
    const after = this.countAll();
    const lanes = {} as Record<LaneName, LaneCloseReport>;
    for (const name of LANE_NAMES) {
      lanes[name] = {
        delivered: after[name].delivered - before[name].delivered,
        undelivered: after[name].undelivered - before[name].undelivered,
        abandonedInFlight: after[name].abandonedInFlight - before[name].abandonedInFlight,
      };
    }
    const report: CloseReport = {
      delivered: sum(lanes, 'delivered'),
      undelivered: sum(lanes, 'undelivered'),
      rejectedPublishers: this.rejectedPublishers() - rejectedBefore,
      timedOut: !completed,
      durationMs: performance.now() - startedAt,
      lanes,
    };
    this.logReport(report);
    return report;
  }

  private async drainInStages(): Promise<void> {
    await this.drainLane('inbound');
    await Promise.all([this.drainLane('outbound'), this.drainLane('outboundMedia')]);
  }

  /** Closes a lane to publishers and waits until its handlers (or manual consumers) finished everything. */
  private drainLane(name: LaneName): Promise<void> {
    const lane = this.lane(name);
    lane.close();
    const dispatcher = this.dispatcher(name);
    if (dispatcher === undefined) return this.started || lane.waitingReceivers > 0 ? lane.whenDrained() : this.reportUnconsumed(name);
    dispatcher.flushDebounce();
    return dispatcher.whenIdle();
  }

  /** The app never initialised and nobody receives: waiting would only run out the timeout. */
  private async reportUnconsumed(name: LaneName): Promise<void> {
    const leftovers = this.lane(name).clear();
    if (leftovers.length === 0) return;
    this.leftovers[name] += leftovers.length;
    this.logger.warn(`The app never initialised (call app.init()): ${leftovers.length} ${name} messages were never handled (reported to onUndelivered)`);
    for (const message of leftovers) this.reportUndelivered(name, message, 'no-handler');
  }

  private abandonLeftovers(): void {
    for (const name of LANE_NAMES) {
      const lane = this.lane(name);
      lane.close();
      const dispatcher = this.dispatcher(name);
      const pending = dispatcher?.pending ?? 0;
      dispatcher?.abandon(SHUTDOWN_REASON);
      const leftovers = lane.clear();
      if (leftovers.length + pending === 0) continue;
      this.leftovers[name] += leftovers.length;
      this.logger.warn(`Drain timed out: ${leftovers.length + pending} ${name} messages undelivered (reported to onUndelivered)`);
      for (const message of leftovers) this.reportUndelivered(name, message, 'shutdown-timeout');
    }
  }

  private countAll(): Record<LaneName, LaneCloseReport> {
    const counts = {} as Record<LaneName, LaneCloseReport>;
    for (const name of LANE_NAMES) {
      const dispatched = this.dispatcher(name)?.counts;
      counts[name] = {
        delivered: dispatched?.delivered ?? this.lane(name).receivedCount,
        undelivered: (dispatched?.undelivered ?? 0) + this.leftovers[name],
        abandonedInFlight: dispatched?.abandonedInFlight ?? 0,
      };
    }
    return counts;
  }

  private rejectedPublishers(): number {
    return LANE_NAMES.reduce((total, name) => total + this.lane(name).closedRejectionCount, 0);
  }

  private logReport(report: CloseReport): void {
    const summary =
      `Closed in ${Math.round(report.durationMs)} ms: ${report.delivered} delivered, ${report.undelivered} undelivered, ` +
      `${report.rejectedPublishers} publishers rejected${report.timedOut ? ' (drain timed out)' : ''}`;
    if (report.timedOut || report.undelivered > 0) this.logger.warn(summary);
    else this.logger.log(summary);
  }
}

function sum(lanes: Record<LaneName, LaneCloseReport>, field: keyof LaneCloseReport): number {
  return LANE_NAMES.reduce((total, name) => total + lanes[name][field], 0);
}

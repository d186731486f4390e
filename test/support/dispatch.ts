import type { BusContext, DispatchOptions, InboundMessage, LaneName } from '../../src/index.js';
import { MessageBusService } from '../../src/index.js';
import type { BusModuleOptions } from '../../src/index.js';

/** What a test handler is given: the message, its context, and when it started. */
export interface Call {
  message: InboundMessage;
  ctx: BusContext<InboundMessage>;
  startedAt: number;
}

/**
 * A bus without an app whose inbound lane is consumed by one handler with `dispatch` options: for the
 * scheduling tests that run thousands of cases, where a Nest app per case would only add noise. The
 * module's own wiring is covered by the app tests.
 */
export function busWithHandler(
  handle: (message: InboundMessage, ctx: BusContext<InboundMessage>) => unknown,
  dispatch: DispatchOptions = {},
  options: BusModuleOptions = {},
): MessageBusService {
  const bus = new MessageBusService(options);
  bus.startDispatch({
    inbound: [{ name: 'Agent.handle', channels: undefined, dispatch, invoke: handle as never }],
    outbound: [],
    outboundMedia: [],
  });
  return bus;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records every undelivered report. */
export function undeliveredLog() {
  const reports: { lane: LaneName; content: string; reason: string; handler?: string; error?: unknown }[] = [];
  const onUndelivered: BusModuleOptions['onUndelivered'] = (lane, message, reason, details) => {
    reports.push({ lane, content: (message as InboundMessage).content, reason, ...details });
  };
  return { reports, onUndelivered };
}

export { BusModule } from './bus.module.js';
export type { BusModuleAsyncOptions, BusModuleExtras } from './bus.module-definition.js';
export { BUS_CONTEXT_TYPE, BUS_EVENTS_CHANNEL, BUS_MESSAGE, BUS_MODULE_OPTIONS, STREAM_DELEGATE } from './bus.constants.js';
export { isBusContext } from './context/is-bus-context.js';
export { HandlerRejectedError } from './context/handler-rejected.error.js';
export { BusCtx, BusMessage } from './decorators/bus-params.decorator.js';

export { Lane } from './bus/lane.js';
export type { LaneCallOptions, MessageValidator } from './bus/lane.js';
export { MessageBusService } from './service/message-bus.service.js';
export type { CloseOptions } from './service/message-bus.service.js';
export type { Reply, ReplyTarget, RespondOptions, RespondResult } from './streaming/responder.js';
export { BusClosedError } from './bus/bus-closed.error.js';
export { BusNotStartedError } from './bus/bus-not-started.error.js';
export { InvalidMessageError } from './bus/invalid-message.error.js';
export { InvalidBusOptionsError } from './bus/invalid-bus-options.error.js';
export { BusExceptionFilter } from './http/bus-exception.filter.js';
export type { BusModuleOptions } from './service/bus-module-options.interface.js';
export type { UndeliveredDetails, UndeliveredHandler, UndeliveredReason } from './bus/undelivered.interface.js';
export type { CloseReport, LaneCloseReport } from './bus/close-report.interface.js';

export type {
  BusEvent,
  BusEventType,
  CloseCompletedEvent,
  CloseStartedEvent,
  DeliveredEvent,
  HandlerFailedEvent,
  HandlerTimeoutEvent,
  PublishedEvent,
  PublishRejectedEvent,
  SupersededEvent,
  UndeliveredEvent,
} from './observability/bus-event.interface.js';
export type { BusStats, HandlerStats, LaneStats } from './observability/bus-stats.interface.js';
export type {
  BusInstrumentation,
  CallOutcome,
  InstrumentedBus,
  ObservedCall,
  PublishRejection,
} from './observability/bus-instrumentation.interface.js';

export type { BusContext } from './dispatch/bus-context.interface.js';
export type { BusyMode, DispatchOptions, OrderBy, RetryOptions } from './dispatch/dispatch-options.interface.js';
export { SupersededError } from './dispatch/superseded.error.js';
export { NonRetriableError } from './dispatch/non-retriable.error.js';
export { HandlerTimeoutError } from './dispatch/handler-timeout.error.js';
export type {
  InboundMessage,
  LaneMessages,
  LaneName,
  MediaPart,
  OutboundMediaMessage,
  OutboundMessage,
  Peer,
  SenderInfo,
} from './bus/messages.interface.js';

export { OnInbound } from './decorators/on-inbound.decorator.js';
export { OnOutbound } from './decorators/on-outbound.decorator.js';
export { OnOutboundMedia } from './decorators/on-outbound-media.decorator.js';
export { InjectLane } from './decorators/inject-lane.decorator.js';
export type { BusHandlerOptions } from './decorators/bus-handler.metadata.js';

export type { StreamDelegate } from './streaming/stream-delegate.interface.js';
export type { StreamCallOptions, Streamer } from './streaming/streamer.interface.js';
export type { StreamingCapable } from './streaming/streaming-capable.interface.js';
export { BusChannel } from './decorators/bus-channel.decorator.js';
export type { AcknowledgeKind, BusChannelOptions, ChannelRateLimit, ChannelRetryOptions } from './channels/bus-channel-options.interface.js';
export type {
  ChannelCapabilities,
  ChannelContext,
  ChannelSender,
  MediaSender,
  MessageDeleter,
  MessageEditor,
  PlaceholderCapable,
  ReactionCapable,
  SendContext,
  SentMessage,
  StreamingChannel,
  TypingCapable,
  UndoCapability,
} from './channels/channel-capabilities.interface.js';
export type { StreamContext } from './streaming/stream-context.interface.js';
export { ChannelRateLimitError } from './channels/channel-rate-limit.error.js';
export { ChannelTemporaryError } from './channels/channel-temporary.error.js';
export { ChannelPermanentError } from './channels/channel-permanent.error.js';
export { DeliveryFailedError } from './dispatch/delivery-failed.error.js';
export type { BusTransport, LocalLane, TransportHost } from './transport/bus-transport.interface.js';
export { ThrottledStreamer } from './streaming/throttled.streamer.js';
export type { StreamerLogger, ThrottledStreamerOptions } from './streaming/throttled-streamer-options.interface.js';
export { splitMessage } from './streaming/split-message.js';
export { pipeTextStream } from './streaming/pipe-text-stream.js';
export { StreamFinalizeError } from './streaming/stream-finalize.error.js';
export { fromAiSdkTextStream, fromAnthropicStream, fromOpenAIChatStream, fromOpenAIResponsesStream } from './streaming/text-stream.adapters.js';
export type { AiSdkStreamPartLike, AiSdkTextStreamLike, AnthropicStreamEventLike, ChatCompletionChunkLike, ResponsesStreamEventLike } from './streaming/text-stream.adapters.js';

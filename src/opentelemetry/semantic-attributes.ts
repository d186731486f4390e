/**
 * The attribute and metric names of OpenTelemetry's messaging semantic conventions that the bus sets
 * (written out rather than taken from the incubating conventions package, which changes between releases).
 */
export const ATTR = {
  MESSAGING_SYSTEM: 'messaging.system',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  DESTINATION_NAME: 'messaging.destination.name',
  CONVERSATION_ID: 'messaging.message.conversation_id',
  CONSUMER_GROUP: 'messaging.consumer.group.name',
  BATCH_COUNT: 'messaging.batch.message_count',
  ERROR_TYPE: 'error.type',
  /** The bus's own: the message's channel (telegram, slack, ...), the handler's attempt. */
  CHANNEL: 'nestjs_agent_bus.channel',
  ATTEMPT: 'nestjs_agent_bus.attempt',
  OUTCOME: 'nestjs_agent_bus.outcome',
} as const;

export const METRIC = {
  PROCESS_DURATION: 'messaging.process.duration',
  SENT_MESSAGES: 'messaging.client.sent.messages',
  CONSUMED_MESSAGES: 'messaging.client.consumed.messages',
  LANE_FILL: 'nestjs_agent_bus.lane.fill',
} as const;

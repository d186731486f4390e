/** Where a transport records, on a message it fed, how many times it was delivered. */
export const DELIVERY_INFO: unique symbol = Symbol('nestjs-agent-bus.delivery');

/** What a transport knows of a message's delivery. */
export interface DeliveryInfo {
  /** 1 the first time; more when it was delivered before (its instance died, or did not acknowledge it). */
  readonly deliveryCount: number;
}

/** The delivery count a transport recorded on the message; 1 for a message that never left this process. */
export function deliveryCountOf(message: unknown): number {
  if (typeof message !== 'object' || message === null) return 1;
  return (message as { [DELIVERY_INFO]?: DeliveryInfo })[DELIVERY_INFO]?.deliveryCount ?? 1;
}

/** Records the delivery count on a message the transport owns (a non-enumerable property: JSON and spreads skip it). */
export function recordDelivery(message: object, deliveryCount: number): void {
  Object.defineProperty(message, DELIVERY_INFO, { value: { deliveryCount } satisfies DeliveryInfo, enumerable: false });
}

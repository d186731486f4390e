/** Options of {@link BusHealthIndicator}'s checks. */
export interface BusHealthOptions {
  /**
   * The check is down when a lane holds more than this share of its capacity (0 < maxFill <= 1): the
   * agent is not keeping up, and publishers are about to wait.
   * @default 0.9
   */
  maxFill?: number;
}

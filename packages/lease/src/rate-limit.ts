// A token bucket on the lessor's clock. It bounds how many expired leases are handed out for revoke per
// second, whatever the caller's polling period, so a mass expiry turns into a steady trickle of proposals.

export class RateLimit {
  private tokens: number;
  private last: number | undefined;

  /**
   * @param perSecond sustained rate
   * @param burst most tokens that can pile up while idle (etcd hands out rate/2 every 500 ms)
   */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Whole tokens available at `now`, without taking them. */
  available(now: number): number {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    }
    if (this.last === undefined || now > this.last) this.last = now;
    return Math.floor(this.tokens);
  }

  take(n: number): void {
    this.tokens -= n;
  }
}

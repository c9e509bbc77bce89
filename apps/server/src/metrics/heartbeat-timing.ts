// Leader heartbeats as etcd watches them: a heartbeat to a peer leaving more than twice the heartbeat
// interval after the previous one counts as a send failure (etcd's timeout detector), and the time from a
// heartbeat to that peer's answer is the peer round trip (where etcd runs a separate prober, the raft
// heartbeat already crosses the same stream both ways every interval).

export interface HeartbeatSink {
  late(): void;
  roundTrip(peer: bigint): { observe(seconds: number): void };
}

export class HeartbeatTiming {
  private readonly lastSent = new Map<bigint, number>();
  private readonly awaiting = new Map<bigint, number>();
  private readonly rtt = new Map<bigint, { observe(seconds: number): void }>();

  constructor(
    private readonly intervalMs: number,
    private readonly sink: HeartbeatSink,
  ) {}

  sent(to: bigint, now = performance.now()): void {
    const prev = this.lastSent.get(to);
    if (prev !== undefined && now - prev > 2 * this.intervalMs) this.sink.late();
    this.lastSent.set(to, now);
    // timed from the newest heartbeat, so a lost answer does not stretch the next measurement
    this.awaiting.set(to, now);
  }

  answered(from: bigint, now = performance.now()): void {
    const at = this.awaiting.get(from);
    if (at === undefined) return;
    this.awaiting.delete(from);
    let child = this.rtt.get(from);
    if (child === undefined) {
      child = this.sink.roundTrip(from);
      this.rtt.set(from, child);
    }
    child.observe((now - at) / 1000);
  }

  /** Leadership changed hands: gaps from an earlier term say nothing about this one. */
  reset(): void {
    this.lastSent.clear();
    this.awaiting.clear();
  }
}

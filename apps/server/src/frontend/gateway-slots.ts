// etcd's grpc-gateway is a gRPC client of its own member over ONE connection, so --max-concurrent-streams
// bounds the JSON calls in flight together: with the limit reached (e.g. by open /v3/watch streams) a
// further call waits until one ends, as grpc-go queues a stream the server's SETTINGS do not allow yet.
// Our gateway calls the handlers directly; these slots give it the same limit.
export class GatewaySlots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** Resolves (at once while a slot is free) with the function that gives the slot back. */
  acquire(): Promise<() => void> | (() => void) {
    if (this.used < this.capacity) {
      this.used++;
      return this.releaser();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter
      if (next) next();
      else this.used--;
    };
  }
}

import type { ApplyResult } from '../apply/applier.js';

// Proposals waiting for their entry to be applied, by request ID (etcd's wait.Wait).
export class ProposalWaiters {
  private readonly waiting = new Map<bigint, (r: ApplyResult) => void>();

  register(id: bigint): Promise<ApplyResult> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Delivers the result of an applied entry; entries proposed by other members have no waiter here. */
  trigger(id: bigint, r: ApplyResult): void {
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(r);
    }
  }

  cancel(id: bigint): void {
    this.waiting.delete(id);
  }

  /** Fails every waiter (the server is stopping). */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w({ err });
    this.waiting.clear();
  }

  get size(): number {
    return this.waiting.size;
  }
}

/** Resolves waiters once the applied index reaches theirs (reads after a ReadIndex, syncs). */
export class AppliedWaiters {
  private list: { index: number; resolve: () => void }[] = [];
  applied = 0;

  wait(index: number): Promise<void> {
    if (index <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.list.push({ index, resolve }));
  }

  advance(applied: number): void {
    this.applied = applied;
    if (this.list.length === 0) return;
    const ready = this.list.filter((w) => w.index <= applied);
    if (ready.length === 0) return;
    this.list = this.list.filter((w) => w.index > applied);
    for (const w of ready) w.resolve();
  }
}

import type { ApplyResult } from '../apply/applier.js';

interface Waiter {
  resolve: (r: ApplyResult) => void;
  deadline: number;
  /** The raft term the member was in when it proposed; its entry, if any, has this term or a later one. */
  term: number;
}

// Proposals waiting for their entry to be applied, by request ID (etcd's wait.Wait). Deadlines are
// checked by one periodic expire() call instead of a timer per request (a timer per Put shows in profiles).
export class ProposalWaiters {
  private readonly waiting = new Map<bigint, Waiter>();

  /**
   * `deadline` (Date.now() milliseconds) is when expire() gives up on it; none by default. `term` is the
   * raft term at proposal time, for abandon(); without it the waiter waits for its deadline.
   */
  register(
    id: bigint,
    deadline = Number.POSITIVE_INFINITY,
    term = Number.POSITIVE_INFINITY,
  ): Promise<ApplyResult> {
    return new Promise((resolve) => this.waiting.set(id, { resolve, deadline, term }));
  }

  /**
   * A leader of `term` committed its first entry and this member applied it: an entry proposed in an
   * earlier term that has not been applied by now was lost with the old leader (log terms never go
   * down, so it cannot come after this one), unless a stray copy of the proposal is still travelling
   * to the new leader. Either way the client may hear the outcome is unknown now instead of after the
   * request timeout, and retry with a live leader.
   */
  abandon(term: number, result: () => ApplyResult): number {
    let n = 0;
    for (const [id, w] of this.waiting) {
      if (w.term >= term) continue;
      this.waiting.delete(id);
      w.resolve(result());
      n++;
    }
    return n;
  }

  /** Delivers the result of an applied entry; entries proposed by other members have no waiter here. */
  trigger(id: bigint, r: ApplyResult): void {
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w.resolve(r);
    }
  }

  cancel(id: bigint): void {
    this.waiting.delete(id);
  }

  /** Resolves every waiter whose deadline is at or before `now` with `result()`. */
  expire(now: number, result: () => ApplyResult): void {
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(id);
      w.resolve(result());
    }
  }

  /** Fails every waiter (the server is stopping). */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.resolve({ err });
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

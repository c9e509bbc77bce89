import type { ReadState } from '@kv/raft';
import type { AppliedWaiters } from './wait.js';

interface Reader {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Linearizable reads, etcd-style: reads queue up while one ReadIndex round is in flight and the next round
 * serves all of them at once. A round's read point is the commit index the leader confirmed with a
 * heartbeat quorum; the reads run once this member has applied up to it.
 */
export class ReadIndexBatcher {
  private queue: Reader[] = [];
  private inflight: { ctx: Buffer; readers: Reader[]; timer: NodeJS.Timeout; tries: number } | undefined;
  private seq = 0n;
  private closed = false;
  /** Rounds that timed out (asked again), and rounds whose reads failed (metrics). */
  slowRounds = 0;
  failedRounds = 0;

  constructor(
    private readonly requestRead: (ctx: Buffer) => void,
    private readonly applied: AppliedWaiters,
    /** How long one round may take before it is asked again. */
    private readonly retryMs: number,
    /** Rounds tried before the reads fail. */
    private readonly maxTries: number,
    private readonly timeoutError: () => Error,
  ) {}

  /** Resolves when local state may be read linearizably. */
  wait(): Promise<void> {
    if (this.closed) return Promise.reject(this.timeoutError());
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      if (!this.inflight) this.startRound([], 0);
    });
  }

  private startRound(carry: Reader[], tries: number): void {
    const readers = carry.concat(this.queue);
    this.queue = [];
    if (readers.length === 0) return;
    this.seq += 1n;
    const ctx = Buffer.alloc(8);
    ctx.writeBigUInt64BE(this.seq);
    const timer = setTimeout(() => this.onTimeout(), this.retryMs);
    this.inflight = { ctx, readers, timer, tries: tries + 1 };
    this.requestRead(ctx);
  }

  private onTimeout(): void {
    const f = this.inflight;
    if (!f) return;
    this.inflight = undefined;
    this.slowRounds++;
    if (f.tries >= this.maxTries) {
      this.failedRounds++;
      const err = this.timeoutError();
      for (const r of f.readers) r.reject(err);
      this.startRound([], 0);
    } else {
      this.startRound(f.readers, f.tries);
    }
  }

  onReadStates(states: ReadState[]): void {
    const f = this.inflight;
    if (!f) return;
    for (const rs of states) {
      if (!Buffer.from(rs.requestCtx).equals(f.ctx)) continue;
      clearTimeout(f.timer);
      this.inflight = undefined;
      this.applied.wait(rs.index).then(() => {
        for (const r of f.readers) r.resolve();
      });
      this.startRound([], 0);
      return;
    }
  }

  close(err: Error): void {
    this.closed = true;
    if (this.inflight) {
      clearTimeout(this.inflight.timer);
      for (const r of this.inflight.readers) r.reject(err);
      this.inflight = undefined;
    }
    for (const r of this.queue) r.reject(err);
    this.queue = [];
  }
}

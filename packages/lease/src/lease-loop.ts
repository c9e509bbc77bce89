// The leader's two background chores, on a timer: propose revokes for expired leases and propose due
// checkpoints. Optional: a server can call expired()/dueCheckpoints() itself. The lessor stays pure; this
// is the only part of the package that uses real timers.

import type { LeaseCheckpoint, Lessor } from './lessor.js';

export interface LeaseLoopOptions {
  /** Proposes a LeaseRevoke and settles when it is applied (or fails). Failures are retried by expiry. */
  revoke: (id: bigint) => Promise<unknown>;
  /** Proposes one LeaseCheckpoint request; settles when applied (or fails). */
  checkpoint: (checkpoints: LeaseCheckpoint[]) => Promise<unknown>;
  /** Poll period; etcd's is 500 ms. */
  intervalMs?: number;
  /** Revokes in flight at once (etcd: 16), so a mass expiry does not flood raft. */
  maxPendingRevokes?: number;
  /** Called with proposal errors, e.g. to log them. */
  onError?: (err: unknown) => void;
}

export class LeaseLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly queue: bigint[] = [];
  private readonly queued = new Set<bigint>();
  private pending = 0;
  private checkpointing = false;
  private readonly intervalMs: number;
  private readonly maxPending: number;

  constructor(
    private readonly lessor: Lessor,
    private readonly opts: LeaseLoopOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.maxPending = Math.max(1, opts.maxPendingRevokes ?? 16);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // Never keeps a process alive on its own.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queued.clear();
  }

  /** One round; exposed so a server can also run it on its own schedule. */
  tick(): void {
    if (!this.lessor.isPrimary) {
      // A demoted leader's queued revokes would be refused anyway; the new leader expires them.
      this.queue.length = 0;
      this.queued.clear();
      return;
    }
    for (const id of this.lessor.expired()) {
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.queue.push(id);
    }
    this.drain();
    if (!this.checkpointing) void this.proposeCheckpoints();
  }

  private drain(): void {
    while (this.pending < this.maxPending && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.queued.delete(id);
      this.pending++;
      this.opts
        .revoke(id)
        .catch((err) => this.opts.onError?.(err))
        .finally(() => {
          this.pending--;
          if (this.timer !== undefined) this.drain();
        });
    }
  }

  private async proposeCheckpoints(): Promise<void> {
    this.checkpointing = true;
    try {
      // Batches one after another, like etcd; a failure waits for the next round.
      for (let cps = this.lessor.dueCheckpoints(); cps.length > 0; cps = this.lessor.dueCheckpoints()) {
        await this.opts.checkpoint(cps);
      }
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.checkpointing = false;
    }
  }
}

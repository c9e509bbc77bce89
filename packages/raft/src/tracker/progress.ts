// What the leader knows about one follower's log, and how it sends to it (probe / replicate / snapshot).
import { Inflights } from './inflights.js';

export enum ProgressState {
  /** Send one append per heartbeat interval until the follower's match index is found. */
  StateProbe = 0,
  /** Stream appends optimistically, bounded by the inflight window. */
  StateReplicate = 1,
  /** A snapshot is on its way; send nothing until it is reported. */
  StateSnapshot = 2,
}

export class Progress {
  match = 0;
  next = 1;
  state = ProgressState.StateProbe;
  /** Index of the snapshot in flight while in StateSnapshot. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state, an append was sent and we wait for its answer or a heartbeat response. */
  msgAppFlowPaused = false;
  inflights: Inflights;
  isLearner = false;
  /** Leader tick at which the newest heartbeat this follower answered was sent (for the leader lease). */
  leaseAck = 0;

  constructor(next: number, maxInflight: number, maxInflightBytes: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // Coming back from a snapshot, resume after it (or after match if that is newer).
    if (this.state === ProgressState.StateSnapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.StateProbe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.StateProbe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.StateReplicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.StateSnapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** Accounts for an append of `entries` entries ending at lastIndex being sent. */
  sentEntries(entries: number, lastIndex: number, bytes: number): void {
    if (this.state === ProgressState.StateReplicate) {
      if (entries > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === ProgressState.StateProbe) {
      this.msgAppFlowPaused = true;
    }
  }

  /** The follower acknowledged n; returns false if that is old news. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected an append at index `rejected`; matchHint is the best guess of where its log
   * matches ours. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.StateReplicate) {
      // Stale unless it rejects something above what is known to match.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probing: only the answer to the latest probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Should the leader hold off sending appends to this follower? */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.StateProbe:
        return this.msgAppFlowPaused;
      case ProgressState.StateReplicate:
        return this.msgAppFlowPaused;
      case ProgressState.StateSnapshot:
        return true;
    }
  }

  clone(): Progress {
    const p = new Progress(this.next, this.inflights.size, this.inflights.maxBytes, this.isLearner);
    p.match = this.match;
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.recentActive = this.recentActive;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    p.inflights = this.inflights.clone();
    p.leaseAck = this.leaseAck;
    return p;
  }

  toString(): string {
    return `${ProgressState[this.state]} match=${this.match} next=${this.next}${this.isLearner ? ' learner' : ''}${this.isPaused() ? ' paused' : ''}${this.pendingSnapshot ? ` pendingSnap=${this.pendingSnapshot}` : ''} inflight=${this.inflights.count}`;
  }
}

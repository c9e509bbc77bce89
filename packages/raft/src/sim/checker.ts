// The safety properties of Raft, checked against a running cluster after every step.
import { StateType } from '../types.js';
import type { Cluster } from './cluster.js';
import { entryKey, type SimNode } from './sim-node.js';

export class SafetyViolation extends Error {}

interface PendingRead {
  /** The highest index known committed anywhere when the read was issued. */
  minIndex: number;
}

export class Checker {
  /** term -> the one node that led it (election safety). */
  private readonly leaders = new Map<number, bigint>();
  /** index -> key of the entry committed there, as seen in any node's log (a stronger state machine safety). */
  private readonly committed = new Map<number, string>();
  maxCommitted = 0;
  /** Per node, the commit index up to which its log was recorded. */
  private readonly recorded = new Map<bigint, number>();
  private readonly reads = new Map<string, PendingRead>();
  readsServed = 0;
  private leaderSeen = new Set<string>();

  constructor(private readonly c: Cluster) {}

  private fail(msg: string): never {
    throw new SafetyViolation(msg);
  }

  /** A read was issued with this ctx; it must not return an index below what is committed now. */
  readIssued(ctx: string): void {
    this.reads.set(ctx, { minIndex: this.maxCommitted });
  }

  nodeRestarted(id: bigint): void {
    this.recorded.delete(id);
  }

  /** Runs every check; call after each step of the cluster. */
  check(): void {
    for (const n of this.c.nodes.values()) {
      if (!n.up) continue;
      this.recordCommitted(n);
    }
    for (const n of this.c.nodes.values()) {
      if (!n.up) continue;
      const r = n.raw.raft;
      if (r.state === StateType.StateLeader) {
        const prev = this.leaders.get(r.term);
        if (prev === undefined) this.leaders.set(r.term, n.id);
        else if (prev !== n.id) this.fail(`election safety: term ${r.term} has leaders ${prev} and ${n.id}`);
        const key = `${n.id}@${r.term}`;
        if (!this.leaderSeen.has(key)) {
          this.leaderSeen.add(key);
          this.checkLeaderCompleteness(n);
        }
      }
      this.checkReads(n);
    }
  }

  private recordCommitted(n: SimNode): void {
    const log = n.raw.raft.raftLog;
    const from = Math.max((this.recorded.get(n.id) ?? 0) + 1, log.firstIndex());
    if (log.committed < from) return;
    const ents = log.slice(from, log.committed + 1, Number.MAX_SAFE_INTEGER);
    for (const e of ents) {
      const key = entryKey(e.term, e.index, e.type === 0 ? e.data : new Uint8Array(0));
      const prev = this.committed.get(e.index);
      if (prev === undefined) this.committed.set(e.index, key);
      else if (prev !== key)
        this.fail(`committed entries differ at ${e.index}: ${prev} vs ${key} on node ${n.id}`);
    }
    if (log.committed > this.maxCommitted) this.maxCommitted = log.committed;
    this.recorded.set(n.id, log.committed);
  }

  /** A new leader's log holds every entry committed before (Raft paper 5.4.1). */
  private checkLeaderCompleteness(n: SimNode): void {
    const log = n.raw.raft.raftLog;
    const first = log.firstIndex();
    for (let i = first; i <= this.maxCommitted; i++) {
      const want = this.committed.get(i);
      if (want === undefined) continue;
      const t = log.termOrUndefined(i);
      if (t === undefined || !want.startsWith(`${t}/${i}/`)) {
        this.fail(
          `leader completeness: leader ${n.id} of term ${n.raw.raft.term} lacks committed ${want} (has term ${t})`,
        );
      }
    }
  }

  /** A read answers with an index at least what was committed when it was issued, and committed itself. */
  private checkReads(n: SimNode): void {
    if (n.readStates.length === 0) return;
    for (const rs of n.readStates) {
      const ctx = Buffer.from(rs.requestCtx).toString('latin1');
      const r = this.reads.get(ctx);
      if (!r) this.fail(`read ${ctx} answered on ${n.id} but never issued`);
      if (rs.index < r.minIndex) {
        this.fail(
          `linearizability: read ${ctx} on node ${n.id} got index ${rs.index} < ${r.minIndex} committed before it`,
        );
      }
      if (rs.index > this.maxCommitted) this.fail(`read ${ctx} got uncommitted index ${rs.index}`);
      this.readsServed++;
    }
    n.readStates = [];
  }

  /** Log matching (Raft paper 5.3): two logs with the same term at an index agree on everything before. */
  checkLogMatching(): void {
    const logs = [...this.c.nodes.values()]
      .filter((n) => n.up)
      .map((n) => ({ id: n.id, log: n.raw.raft.raftLog }));
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const la = logs[a].log;
        const lb = logs[b].log;
        const lo = Math.max(la.firstIndex(), lb.firstIndex());
        const hi = Math.min(la.lastIndex(), lb.lastIndex());
        // Find the highest index where the terms agree; everything from lo up to it must be identical.
        let top = -1;
        for (let i = hi; i >= lo; i--) {
          if (la.term(i) === lb.term(i)) {
            top = i;
            break;
          }
        }
        if (top < lo) continue;
        const ea = la.slice(lo, top + 1, Number.MAX_SAFE_INTEGER);
        const eb = lb.slice(lo, top + 1, Number.MAX_SAFE_INTEGER);
        for (let k = 0; k < ea.length; k++) {
          const x = ea[k];
          const y = eb[k];
          if (x.term !== y.term || x.type !== y.type || Buffer.compare(x.data, y.data) !== 0) {
            this.fail(
              `log matching: nodes ${logs[a].id} and ${logs[b].id} agree at ${top} but differ at ${x.index} (terms ${x.term}/${y.term})`,
            );
          }
        }
      }
    }
  }
}

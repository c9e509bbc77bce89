// The leader's view of the cluster: the active config and the progress of every member.
import { type JointConfig, jointCommittedIndex, jointIds, jointVoteResult } from '../quorum/joint.js';
import { VoteResult } from '../quorum/majority.js';
import type { ConfState, NodeId } from '../types.js';
import type { Progress } from './progress.js';

export interface TrackerConfig {
  voters: JointConfig;
  /** Leave the joint config automatically once it is committed and applied. */
  autoLeave: boolean;
  learners: Set<NodeId>;
  /** Outgoing voters that will become learners when the joint config is left. */
  learnersNext: Set<NodeId>;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(c.voters[0]), new Set(c.voters[1])],
    autoLeave: c.autoLeave,
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
  };
}

export type ProgressMap = Map<NodeId, Progress>;

export function cloneProgressMap(m: ProgressMap): ProgressMap {
  const out: ProgressMap = new Map();
  for (const [id, pr] of m) out.set(id, pr.clone());
  return out;
}

const byId = (a: NodeId, b: NodeId) => (a < b ? -1 : a > b ? 1 : 0);

export function sortedIds(s: Iterable<NodeId>): NodeId[] {
  return [...s].sort(byId);
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;
  readonly maxInflightBytes: number;

  constructor(maxInflight: number, maxInflightBytes = 0) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  confState(): ConfState {
    return {
      voters: sortedIds(this.config.voters[0]),
      votersOutgoing: sortedIds(this.config.voters[1]),
      learners: sortedIds(this.config.learners),
      learnersNext: sortedIds(this.config.learnersNext),
      autoLeave: this.config.autoLeave,
    };
  }

  /** Is this a config of one voter (so the leader decides alone)? */
  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  /** The largest index a quorum of voters has in its log. */
  committed(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** The newest leader tick that a quorum of voters has acknowledged a heartbeat from. */
  quorumLeaseAck(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.leaseAck);
  }

  private sortedFor: ProgressMap | undefined;
  private sortedSize = 0;
  private sorted: NodeId[] = [];

  /** Calls f for every member in id order, so that output is deterministic. */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    // Progress maps are replaced, not edited, on conf changes; the size check guards direct edits.
    if (this.sortedFor !== this.progress || this.sortedSize !== this.progress.size) {
      this.sorted = sortedIds(this.progress.keys());
      this.sortedFor = this.progress;
      this.sortedSize = this.progress.size;
    }
    for (const id of this.sorted) {
      const pr = this.progress.get(id);
      if (pr) f(id, pr);
    }
  }

  /** Has a quorum been heard from since the last check (the leader counts itself)? */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    }
    return jointVoteResult(this.config.voters, votes) === VoteResult.VoteWon;
  }

  voterIds(): Set<NodeId> {
    return jointIds(this.config.voters);
  }

  learnerIds(): Set<NodeId> {
    return new Set([...this.config.learners, ...this.config.learnersNext]);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; the first vote from a node is the one that counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}

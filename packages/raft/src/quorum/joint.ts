// Joint quorums: a decision needs a majority in both the incoming and the outgoing voter sets.
import type { NodeId } from '../types.js';
import { type AckedIndexer, majorityCommittedIndex, majorityVoteResult, VoteResult } from './majority.js';

/** [incoming, outgoing]; outgoing is empty unless the config is joint. */
export type JointConfig = [Set<NodeId>, Set<NodeId>];

export function jointIds(c: JointConfig): Set<NodeId> {
  const s = new Set<NodeId>(c[0]);
  for (const id of c[1]) s.add(id);
  return s;
}

export function jointCommittedIndex(c: JointConfig, acked: AckedIndexer): number {
  const a = majorityCommittedIndex(c[0], acked);
  const b = majorityCommittedIndex(c[1], acked);
  return Math.min(a, b);
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) return VoteResult.VoteLost;
  return VoteResult.VotePending;
}

// Majority quorums over one set of voters, as plain functions.
import type { NodeId } from '../types.js';

export enum VoteResult {
  /** Not enough votes yet to decide either way. */
  VotePending = 1,
  VoteLost = 2,
  VoteWon = 3,
}

/** Looks up the acknowledged index of a voter, or undefined if it has not acknowledged anything. */
export type AckedIndexer = (id: NodeId) => number | undefined;

/**
 * The largest index acknowledged by a majority of `voters`. An empty config commits everything
 * (so that a joint config with an empty half behaves like its other half).
 */
export function majorityCommittedIndex(voters: ReadonlySet<NodeId>, acked: AckedIndexer): number {
  const n = voters.size;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  // Insertion sort, descending: voter sets are small and this runs on every acknowledgement.
  const srt: number[] = new Array(n);
  let k = 0;
  for (const id of voters) {
    const v = acked(id) ?? 0;
    let j = k++;
    for (; j > 0 && srt[j - 1] < v; j--) srt[j] = srt[j - 1];
    srt[j] = v;
  }
  // The value at position n/2 (descending) is acknowledged by at least floor(n/2)+1 voters.
  return srt[Math.floor(n / 2)];
}

/** The outcome of an election given the votes cast so far (true = granted). */
export function majorityVoteResult(
  voters: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.VoteWon;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return VoteResult.VoteWon;
  if (granted + missing >= q) return VoteResult.VotePending;
  return VoteResult.VoteLost;
}

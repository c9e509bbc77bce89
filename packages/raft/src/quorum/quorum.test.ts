import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jointCommittedIndex, jointVoteResult } from './joint.js';
import { majorityCommittedIndex, majorityVoteResult, VoteResult } from './majority.js';

const set = (...ids: number[]) => new Set(ids.map(BigInt));
const acked = (m: Record<number, number>) => (id: bigint) => m[Number(id)];
const votes = (m: Record<number, boolean>) => new Map(Object.entries(m).map(([k, v]) => [BigInt(k), v]));

describe('majority quorum', () => {
  it('commits the highest index a majority acknowledged', () => {
    assert.equal(majorityCommittedIndex(set(1, 2, 3), acked({ 1: 5, 2: 3, 3: 1 })), 3);
    assert.equal(majorityCommittedIndex(set(1, 2, 3), acked({ 1: 5 })), 0);
    assert.equal(majorityCommittedIndex(set(1, 2, 3, 4), acked({ 1: 5, 2: 4, 3: 3, 4: 9 })), 4);
    assert.equal(majorityCommittedIndex(set(1), acked({ 1: 7 })), 7);
    assert.equal(majorityCommittedIndex(set(), acked({})), Number.MAX_SAFE_INTEGER);
  });

  it('decides votes as won, lost or pending', () => {
    assert.equal(majorityVoteResult(set(1, 2, 3), votes({ 1: true, 2: true })), VoteResult.VoteWon);
    assert.equal(majorityVoteResult(set(1, 2, 3), votes({ 1: true, 2: false })), VoteResult.VotePending);
    assert.equal(majorityVoteResult(set(1, 2, 3), votes({ 1: false, 2: false })), VoteResult.VoteLost);
    assert.equal(majorityVoteResult(set(), votes({})), VoteResult.VoteWon);
  });
});

describe('joint quorum', () => {
  it('needs both halves to commit', () => {
    const c: [Set<bigint>, Set<bigint>] = [set(1, 2, 3), set(3, 4, 5)];
    assert.equal(jointCommittedIndex(c, acked({ 1: 9, 2: 9, 3: 2, 4: 1, 5: 1 })), 1);
    assert.equal(jointCommittedIndex(c, acked({ 1: 9, 2: 9, 3: 8, 4: 8, 5: 1 })), 8);
    assert.equal(jointCommittedIndex([set(1, 2, 3), set()], acked({ 1: 9, 2: 9, 3: 1 })), 9);
  });

  it('needs both halves to win a vote; either losing loses', () => {
    const c: [Set<bigint>, Set<bigint>] = [set(1, 2, 3), set(3, 4, 5)];
    assert.equal(jointVoteResult(c, votes({ 1: true, 2: true })), VoteResult.VotePending);
    assert.equal(jointVoteResult(c, votes({ 1: true, 2: true, 3: true, 4: true })), VoteResult.VoteWon);
    assert.equal(jointVoteResult(c, votes({ 1: true, 2: true, 4: false, 5: false })), VoteResult.VoteLost);
  });
});

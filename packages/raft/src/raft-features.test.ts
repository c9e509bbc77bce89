// Tests for what Raft adds beyond the paper's core: pre-vote, check-quorum, leader lease, flow control,
// snapshots, leader transfer, membership changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntryConfChange } from './codec.js';
import { ErrProposalDropped, ErrSnapshotTemporarilyUnavailable } from './errors.js';
import { ReadOnlyOption } from './read-only.js';
import { Cluster } from './sim/cluster.js';
import type { SimNode } from './sim/sim-node.js';
import { ProgressState } from './tracker/progress.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY,
  EntryType,
  type Message,
  MessageType,
  StateType,
} from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);
const followers = (c: Cluster, l: SimNode) => [...c.nodes.values()].filter((n) => n !== l);

function proposeN(c: Cluster, l: SimNode, n: number, prefix = 'v'): void {
  for (let i = 0; i < n; i++) l.raw.propose(enc(`${prefix}${i}`));
  c.stabilize();
}

describe('pre-vote', () => {
  it('a partitioned node does not bump its term, so it does not disrupt the leader when it rejoins', () => {
    const c = new Cluster({ n: 3, seed: 5, preVote: true });
    const l = c.electLeader();
    const term = l.raw.raft.term;
    const f = followers(c, l)[0];
    c.net.isolate(f.id, c.ids());
    c.tickAndStabilize(100);
    assert.equal(f.raw.raft.term, term);
    assert.equal(f.raw.raft.state, StateType.StatePreCandidate);
    c.net.heal();
    c.tickAndStabilize(5);
    assert.equal(l.raw.raft.state, StateType.StateLeader);
    assert.equal(l.raw.raft.term, term);
    assert.equal(f.raw.raft.lead, l.id);
  });

  it('without pre-vote the rejoining node forces a new election', () => {
    const c = new Cluster({ n: 3, seed: 5 });
    const l = c.electLeader();
    const term = l.raw.raft.term;
    const f = followers(c, l)[0];
    c.net.isolate(f.id, c.ids());
    c.tickAndStabilize(100);
    assert.ok(f.raw.raft.term > term + 2);
    c.net.heal();
    c.tickAndStabilize(50);
    assert.ok(c.leader()!.raw.raft.term > term);
  });

  it('a pre-candidate that wins the pre-vote then wins the real election', () => {
    const c = new Cluster({ n: 3, seed: 9, preVote: true });
    c.node(1).raw.campaign();
    c.stabilize();
    assert.equal(c.node(1).raw.raft.state, StateType.StateLeader);
    assert.equal(c.node(1).raw.raft.term, 1);
  });
});

describe('check-quorum', () => {
  it('a leader that cannot hear from a quorum steps down within two election timeouts', () => {
    const c = new Cluster({ n: 3, seed: 2, checkQuorum: true });
    const l = c.electLeader();
    c.net.isolate(l.id, c.ids());
    c.tickAndStabilize(21);
    assert.equal(l.raw.raft.state, StateType.StateFollower);
  });

  it('followers that heard from a leader recently ignore a disruptive candidate', () => {
    const c = new Cluster({ n: 3, seed: 2, checkQuorum: true });
    const l = c.electLeader();
    const [a, b] = followers(c, l);
    const term = l.raw.raft.term;
    // a is cut off from the leader only, so it times out and campaigns at a higher term.
    c.net.cutBoth(a.id, l.id);
    c.tickAndStabilize(25);
    assert.ok(a.raw.raft.term > term);
    assert.equal(l.raw.raft.state, StateType.StateLeader);
    assert.equal(b.raw.raft.lead, l.id);
  });

  it('a stale leader learns the new term from a follower response and steps down', () => {
    const c = new Cluster({ n: 3, seed: 4, checkQuorum: true });
    const l = c.electLeader();
    c.net.isolate(l.id, c.ids());
    // Keep the old leader from noticing by itself (no ticks for it) while the others elect a new one.
    l.up = false;
    c.tickAndStabilize(40);
    l.up = true;
    const nl = c.leader()!;
    assert.notEqual(nl.id, l.id);
    c.net.heal();
    l.raw.raft.tick(); // sends a heartbeat at the stale term
    c.stabilize();
    assert.equal(l.raw.raft.state, StateType.StateFollower);
    assert.equal(l.raw.raft.term, nl.raw.raft.term);
  });
});

describe('leader lease reads', () => {
  const opts = { n: 3, seed: 3, checkQuorum: true, readOnlyOption: ReadOnlyOption.ReadOnlyLeaseBased };

  it('a leader with a fresh lease answers at once, without a heartbeat round', () => {
    const c = new Cluster(opts);
    const l = c.electLeader();
    c.tickAndStabilize(3);
    assert.equal(l.raw.raft.leaseValid(), true);
    l.raw.readIndex(enc('r'));
    const rd = l.raw.ready();
    assert.equal(rd.readStates.length, 1);
    assert.equal(rd.messages.filter((m) => m.type === MessageType.MsgHeartbeat).length, 0);
    l.raw.advance();
  });

  it('a partitioned leader loses its lease before anyone else can be elected, and serves no stale read', () => {
    const c = new Cluster(opts);
    const l = c.electLeader();
    c.tickAndStabilize(3);
    c.net.isolate(l.id, c.ids());
    let leaseEnd = -1;
    let newLeaderAt = -1;
    for (let t = 1; t <= 40; t++) {
      c.tickAndStabilize();
      if (leaseEnd < 0 && !l.raw.raft.leaseValid()) leaseEnd = t;
      const nl = [...c.nodes.values()].find((n) => n !== l && n.raw.raft.state === StateType.StateLeader);
      if (newLeaderAt < 0 && nl) newLeaderAt = t;
    }
    assert.ok(leaseEnd > 0 && newLeaderAt > 0);
    assert.ok(leaseEnd < newLeaderAt, `lease ended at ${leaseEnd}, new leader at ${newLeaderAt}`);
    // After the lease, the read falls back to a heartbeat round, which the partition blocks.
    l.readStates = [];
    if (l.raw.raft.state === StateType.StateLeader) {
      l.raw.readIndex(enc('stale?'));
      c.stabilize();
      assert.equal(l.readStates.length, 0);
    }
  });

  it('requires check-quorum', () => {
    assert.throws(
      () => new Cluster({ n: 1, readOnlyOption: ReadOnlyOption.ReadOnlyLeaseBased }),
      /CheckQuorum/,
    );
  });

  it('a leader that starts a transfer stops trusting its lease', () => {
    const c = new Cluster(opts);
    const l = c.electLeader();
    c.tickAndStabilize(3);
    const f = followers(c, l)[0];
    l.raw.transferLeader(f.id);
    assert.equal(l.raw.raft.leaseValid(), false);
  });
});

describe('flow control', () => {
  it('a follower in replicate state gets at most maxInflightMsgs appends before an ack', () => {
    const c = new Cluster({ n: 2, seed: 1, maxInflightMsgs: 3, maxSizePerMsg: 0 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    assert.equal(l.raw.raft.trk.progress.get(f.id)!.state, ProgressState.StateReplicate);
    c.net.cutLink(f.id, l.id); // acks are lost
    for (let i = 0; i < 10; i++) {
      l.raw.propose(enc(`x${i}`));
      c.stabilize();
    }
    const pr = l.raw.raft.trk.progress.get(f.id)!;
    assert.equal(pr.inflights.count, 3);
    assert.equal(f.raw.raft.raftLog.lastIndex(), 4); // the empty entry and 3 proposals
    c.net.heal();
    c.tickAndStabilize(3);
    assert.equal(f.raw.raft.raftLog.lastIndex(), 11);
  });

  it('maxSizePerMsg splits a large backlog into several appends', () => {
    const c = new Cluster({ n: 2, seed: 1, maxSizePerMsg: 100 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    for (let i = 0; i < 20; i++) l.raw.propose(new Uint8Array(40));
    c.stabilize();
    c.restart(f.id);
    const sizes: number[] = [];
    const orig = f.raw.step.bind(f.raw);
    f.raw.step = (m: Message) => {
      if (m.type === MessageType.MsgApp && m.entries.length > 0) sizes.push(m.entries.length);
      orig(m);
    };
    c.tickAndStabilize(3);
    assert.equal(f.raw.raft.raftLog.lastIndex(), 21);
    assert.ok(sizes.length >= 8, `appends: ${sizes}`);
    assert.ok(Math.max(...sizes) <= 2);
  });

  it('drops proposals beyond maxUncommittedEntriesSize', () => {
    const c = new Cluster({ n: 3, seed: 1, maxUncommittedEntriesSize: 100 });
    const l = c.electLeader();
    for (const f of followers(c, l)) c.net.isolate(f.id, c.ids());
    l.raw.propose(new Uint8Array(60));
    assert.throws(() => l.raw.propose(new Uint8Array(60)), ErrProposalDropped);
    c.net.heal();
    c.tickAndStabilize(3);
    l.raw.propose(new Uint8Array(60));
  });
});

describe('snapshots', () => {
  it('a lagging follower gets a snapshot when the leader compacted its log, then catches up', () => {
    const c = new Cluster({ n: 3, seed: 8 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    proposeN(c, l, 30);
    assert.ok(l.compact(0));
    assert.equal(l.disk.firstIndex(), 32);
    let snaps = 0;
    c.restart(f.id);
    const orig = f.raw.step.bind(f.raw);
    f.raw.step = (m: Message) => {
      if (m.type === MessageType.MsgSnap) snaps++;
      orig(m);
    };
    c.tickAndStabilize(3);
    proposeN(c, l, 2, 'after');
    assert.equal(snaps, 1);
    assert.equal(f.appliedIndex, 33);
    assert.deepEqual(f.sm, l.sm);
    assert.equal(l.raw.raft.trk.progress.get(f.id)!.state, ProgressState.StateReplicate);
  });

  it('a failed snapshot (reportSnapshot false) is retried', () => {
    const c = new Cluster({ n: 3, seed: 8 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    proposeN(c, l, 10);
    l.compact(0);
    c.restart(f.id);
    let dropped = 0;
    const orig = f.raw.step.bind(f.raw);
    f.raw.step = (m: Message) => {
      if (m.type === MessageType.MsgSnap && dropped === 0) {
        dropped++;
        l.raw.reportSnapshot(f.id, false);
        return;
      }
      orig(m);
    };
    c.tickAndStabilize(5);
    assert.equal(dropped, 1);
    assert.equal(f.appliedIndex, l.appliedIndex);
  });

  it('a restarted node recovers its state from its snapshot and log', () => {
    const c = new Cluster({ n: 3, seed: 8 });
    const l = c.electLeader();
    proposeN(c, l, 10);
    const f = followers(c, l)[0];
    f.compact(3);
    c.crash(f.id);
    c.restart(f.id);
    c.stabilize();
    assert.equal(f.raw.raft.raftLog.committed, 11);
    assert.equal(f.appliedIndex, 11);
    assert.deepEqual(f.sm, l.sm);
  });
});

describe('leader transfer', () => {
  it('transfers leadership to an up-to-date follower with TimeoutNow', () => {
    const c = new Cluster({ n: 3, seed: 6, checkQuorum: true, preVote: true });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    l.raw.transferLeader(f.id);
    c.stabilize();
    assert.equal(f.raw.raft.state, StateType.StateLeader);
    assert.equal(l.raw.raft.lead, f.id);
  });

  it('catches the transferee up first, and drops proposals meanwhile', () => {
    const c = new Cluster({ n: 3, seed: 6 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    proposeN(c, l, 5);
    c.restart(f.id);
    l.raw.transferLeader(f.id);
    assert.throws(() => l.raw.propose(enc('x')), ErrProposalDropped);
    c.tickAndStabilize(2);
    assert.equal(f.raw.raft.state, StateType.StateLeader);
  });

  it('gives up after an election timeout when the transferee does not respond', () => {
    const c = new Cluster({ n: 3, seed: 6 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    l.raw.transferLeader(f.id);
    assert.equal(l.raw.raft.leadTransferee, f.id);
    c.tickAndStabilize(11);
    assert.equal(l.raw.raft.leadTransferee, 0n);
    assert.equal(l.raw.raft.state, StateType.StateLeader);
    l.raw.propose(enc('ok'));
  });

  it('a follower forwards the request to the leader', () => {
    const c = new Cluster({ n: 3, seed: 6 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    f.raw.transferLeader(f.id);
    c.stabilize();
    assert.equal(f.raw.raft.state, StateType.StateLeader);
  });
});

describe('membership changes', () => {
  const add = (id: bigint, type = ConfChangeType.ConfChangeAddNode) => ({
    type,
    nodeId: id,
    context: EMPTY,
    id: 0,
  });

  it('adds a learner, which replicates but does not vote, then promotes it to voter', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    proposeN(c, l, 3);
    c.addNode(4n);
    l.raw.proposeConfChange(add(4n, ConfChangeType.ConfChangeAddLearnerNode));
    c.stabilize();
    proposeN(c, l, 2, 'w');
    const n4 = c.node(4);
    assert.deepEqual(l.confState.learners, [4n]);
    assert.equal(n4.appliedIndex, l.appliedIndex);
    assert.equal(n4.raw.raft.isLearner, true);
    // A learner never campaigns.
    for (let i = 0; i < 30; i++) n4.raw.tick();
    assert.equal(n4.raw.raft.state, StateType.StateFollower);
    l.raw.proposeConfChange(add(4n));
    c.stabilize();
    assert.deepEqual(l.confState.voters, [1n, 2n, 3n, 4n]);
    assert.equal(n4.raw.raft.isLearner, false);
    // Now the quorum is 3 of 4.
    c.crash(followers(c, l).find((n) => n.id !== 4n)!.id);
    proposeN(c, l, 1, 'q');
    assert.equal(n4.appliedIndex, l.appliedIndex);
  });

  it('removes a voter, shrinking the quorum', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    const [a, b] = followers(c, l);
    l.raw.proposeConfChange(add(a.id, ConfChangeType.ConfChangeRemoveNode));
    c.stabilize();
    c.crash(a.id);
    assert.deepEqual(
      l.confState.voters,
      [l.id, b.id].sort((x, y) => Number(x - y)),
    );
    proposeN(c, l, 1);
    assert.equal(b.appliedIndex, l.appliedIndex);
  });

  it('only one conf change may be pending at a time', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    c.addNode(4n);
    c.addNode(5n);
    l.raw.proposeConfChange(add(4n, ConfChangeType.ConfChangeAddLearnerNode));
    l.raw.proposeConfChange(add(5n, ConfChangeType.ConfChangeAddLearnerNode));
    c.stabilize();
    assert.deepEqual(l.confState.learners, [4n]);
    const last = l.raw.raft.raftLog.lastIndex();
    const e = l.raw.raft.raftLog.slice(last, last + 1, 1e9)[0];
    assert.equal(e.type, EntryType.EntryNormal); // the refused change became an empty entry
  });

  it('a removed leader steps down and hands over to an up-to-date voter', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    const ticksBefore = c.ticks;
    l.raw.proposeConfChange(add(l.id, ConfChangeType.ConfChangeRemoveNode));
    c.stabilize();
    assert.notEqual(l.raw.raft.state, StateType.StateLeader);
    const nl = c.leader()!;
    assert.notEqual(nl.id, l.id);
    assert.equal(nl.confState.voters.includes(l.id), false);
    // The new leader was elected through TimeoutNow, without any tick.
    assert.equal(c.ticks, ticksBefore);
    proposeN(c, nl, 1);
  });

  it('swaps two voters at once through a joint config and leaves it automatically', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    c.addNode(4n);
    l.raw.proposeConfChange(add(4n, ConfChangeType.ConfChangeAddLearnerNode));
    c.stabilize();
    const victim = followers(c, l).find((n) => n.id !== 4n)!;
    const seen: string[] = [];
    l.raw.proposeConfChange({
      transition: ConfChangeTransition.Auto,
      changes: [
        { type: ConfChangeType.ConfChangeAddNode, nodeId: 4n },
        { type: ConfChangeType.ConfChangeRemoveNode, nodeId: victim.id },
      ],
      context: EMPTY,
    });
    const orig = l.raw.applyConfChange.bind(l.raw);
    l.raw.applyConfChange = (cc) => {
      const cs = orig(cc);
      seen.push(`${cs.voters}|${cs.votersOutgoing}`);
      return cs;
    };
    c.stabilize();
    assert.equal(seen.length, 2);
    assert.ok(seen[0].includes('|'), 'entered a joint config');
    assert.ok(l.confState.votersOutgoing.length === 0, 'left the joint config');
    assert.ok(l.confState.voters.includes(4n) && !l.confState.voters.includes(victim.id));
  });

  it('bootstrapped members see the initial membership as committed conf changes', () => {
    const c = new Cluster({ n: 3, seed: 12, bootstrap: true });
    const l = c.electLeader();
    proposeN(c, l, 1);
    const first = l.raw.raft.raftLog.slice(1, 4, 1e9);
    assert.deepEqual(
      first.map((e) => (decodeEntryConfChange(e) as { nodeId: bigint }).nodeId),
      [1n, 2n, 3n],
    );
    for (const n of c.nodes.values()) assert.deepEqual(n.confState.voters, [1n, 2n, 3n]);
  });
});

describe('joint consensus, explicit', () => {
  it('stays joint until the application proposes the empty change, and needs both majorities meanwhile', () => {
    const c = new Cluster({ n: 3, seed: 21, bootstrap: true });
    const l = c.electLeader();
    for (const id of [4n, 5n]) c.addNode(id);
    l.raw.proposeConfChange({
      transition: ConfChangeTransition.JointExplicit,
      changes: [
        { type: ConfChangeType.ConfChangeAddNode, nodeId: 4n },
        { type: ConfChangeType.ConfChangeAddNode, nodeId: 5n },
      ],
      context: EMPTY,
    });
    c.stabilize();
    assert.deepEqual(l.confState.voters, [1n, 2n, 3n, 4n, 5n]);
    assert.deepEqual(l.confState.votersOutgoing, [1n, 2n, 3n]);
    c.tickAndStabilize(3);
    assert.deepEqual(l.confState.votersOutgoing, [1n, 2n, 3n], 'not left automatically');
    // Other changes are refused while joint.
    l.raw.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2n, context: EMPTY, id: 0 });
    c.stabilize();
    assert.deepEqual(l.confState.votersOutgoing, [1n, 2n, 3n]);
    // With two of the old three down, the joint config cannot commit even though 3 of the 5 new are up.
    const oldOthers = [1n, 2n, 3n].filter((id) => id !== l.id);
    for (const id of oldOthers) c.crash(id);
    const before = l.raw.raft.raftLog.committed;
    l.raw.propose(enc('blocked'));
    c.tickAndStabilize(2);
    assert.equal(l.raw.raft.raftLog.committed, before);
    for (const id of oldOthers) c.restart(id);
    c.tickAndStabilize(3);
    assert.ok(l.raw.raft.raftLog.committed > before);
    l.raw.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [], context: EMPTY });
    c.stabilize();
    assert.deepEqual(l.confState.votersOutgoing, []);
    assert.deepEqual(l.confState.voters, [1n, 2n, 3n, 4n, 5n]);
  });
});

describe('more flow control and snapshot edges', () => {
  it('maxInflightBytes bounds the bytes in flight to a follower', () => {
    const c = new Cluster({ n: 2, seed: 1, maxInflightBytes: 500, maxSizePerMsg: 0 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.net.cutLink(f.id, l.id);
    for (let i = 0; i < 20; i++) {
      l.raw.propose(new Uint8Array(100));
      c.stabilize();
    }
    const pr = l.raw.raft.trk.progress.get(f.id)!;
    assert.ok(
      pr.inflights.totalBytes >= 500 && pr.inflights.totalBytes < 500 + 116,
      `${pr.inflights.totalBytes}`,
    );
    assert.equal(pr.inflights.count, 5);
  });

  it('a storage that cannot snapshot right now makes the leader retry later', () => {
    const c = new Cluster({ n: 3, seed: 8 });
    const l = c.electLeader();
    const f = followers(c, l)[0];
    c.crash(f.id);
    proposeN(c, l, 10);
    l.compact(0);
    let refusals = 0;
    const disk = l.disk;
    const orig = disk.snapshot.bind(disk);
    disk.snapshot = () => {
      if (refusals < 2) {
        refusals++;
        throw new ErrSnapshotTemporarilyUnavailable();
      }
      return orig();
    };
    c.restart(f.id);
    c.tickAndStabilize(5);
    assert.equal(refusals, 2);
    assert.equal(f.appliedIndex, l.appliedIndex);
  });
});

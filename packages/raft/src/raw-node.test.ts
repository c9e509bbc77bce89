import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrProposalDropped, ErrStepLocalMsg } from './errors.js';
import { RawNode } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import { Cluster } from './sim/cluster.js';
import { emptyConfState, EntryType, MessageType, message, StateType } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RawNode, a single-member cluster', () => {
  it('elects itself after an election timeout and commits a proposal in the same Ready', () => {
    const storage = new MemoryStorage({ ...emptyConfState(), voters: [1n] });
    const rn = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage });
    let ticks = 0;
    while (rn.raft.state !== StateType.StateLeader && ticks < 100) {
      rn.tick();
      ticks++;
    }
    assert.equal(rn.raft.state, StateType.StateLeader);
    assert.ok(ticks >= 10 && ticks < 20, `elected after ${ticks} ticks`);
    let rd = rn.ready();
    assert.equal(rd.softState?.raftState, StateType.StateLeader);
    assert.equal(rd.hardState?.term, 1);
    assert.equal(rd.entries.length, 1); // the leader's empty entry
    assert.equal(rd.committedEntries.length, 1);
    assert.equal(rd.messages.length, 0);
    assert.equal(rd.mustSync, true);
    storage.append(rd.entries);
    storage.setHardState(rd.hardState!);
    rn.advance();

    rn.propose(enc('hello'));
    assert.ok(rn.hasReady());
    rd = rn.ready();
    assert.deepEqual(
      rd.entries.map((e) => dec(e.data)),
      ['hello'],
    );
    assert.deepEqual(
      rd.committedEntries.map((e) => dec(e.data)),
      ['hello'],
    );
    assert.equal(rd.hardState?.commit, 2);
    storage.append(rd.entries);
    rn.advance();
    assert.equal(rn.hasReady(), false);
  });

  it('bootstraps a new cluster from a peer list and applies the membership entries', () => {
    const storage = new MemoryStorage();
    const rn = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage });
    rn.bootstrap([{ id: 1n }]);
    const rd = rn.ready();
    assert.equal(rd.committedEntries.length, 1);
    assert.equal(rd.committedEntries[0].type, EntryType.EntryConfChange);
    assert.equal(rd.hardState?.commit, 1);
    storage.append(rd.entries);
    storage.setHardState(rd.hardState!);
    rn.advance();
    rn.campaign();
    assert.equal(rn.raft.state, StateType.StateLeader);
  });

  it('refuses local message types from the network', () => {
    const rn = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage() });
    assert.throws(() => rn.step(message({ type: MessageType.MsgHup })), ErrStepLocalMsg);
  });

  it('requires advance() between two ready() calls', () => {
    const storage = new MemoryStorage({ ...emptyConfState(), voters: [1n] });
    const rn = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage });
    rn.campaign();
    rn.ready();
    assert.throws(() => rn.ready());
    rn.advance();
  });
});

describe('a three-member cluster', () => {
  it('elects one leader and replicates and applies proposals on every member', () => {
    const c = new Cluster({ n: 3, seed: 7 });
    const l = c.electLeader();
    for (let i = 0; i < 20; i++) l.raw.propose(enc(`v${i}`));
    c.stabilize();
    for (const n of c.nodes.values()) {
      assert.equal(n.appliedIndex, 21);
      assert.equal(n.raw.raft.raftLog.committed, 21);
    }
    const leaders = [...c.nodes.values()].filter((n) => n.raw.raft.state === StateType.StateLeader);
    assert.equal(leaders.length, 1);
  });

  it('forwards a follower proposal to the leader', () => {
    const c = new Cluster({ n: 3, seed: 3 });
    const l = c.electLeader();
    const f = [...c.nodes.values()].find((n) => n !== l)!;
    f.raw.propose(enc('from-follower'));
    c.stabilize();
    const last = l.raw.raft.raftLog.lastIndex();
    const e = l.raw.raft.raftLog.slice(last, last + 1, 1e9)[0];
    assert.equal(dec(e.data), 'from-follower');
    for (const n of c.nodes.values()) assert.equal(n.appliedIndex, last);
  });

  it('drops a proposal with ErrProposalDropped when no leader is known', () => {
    const c = new Cluster({ n: 3, seed: 3 });
    assert.throws(() => c.node(1).raw.propose(enc('x')), ErrProposalDropped);
    const c2 = new Cluster({ n: 3, seed: 3, disableProposalForwarding: true });
    const l = c2.electLeader();
    const f = [...c2.nodes.values()].find((n) => n !== l)!;
    assert.throws(() => f.raw.propose(enc('x')), ErrProposalDropped);
  });

  it('answers ReadIndex on the leader and on a follower with the commit index', () => {
    const c = new Cluster({ n: 3, seed: 11 });
    const l = c.electLeader();
    l.raw.propose(enc('a'));
    c.stabilize();
    l.raw.readIndex(enc('r1'));
    c.stabilize();
    assert.deepEqual(
      l.readStates.map((r) => [r.index, dec(r.requestCtx)]),
      [[2, 'r1']],
    );
    const f = [...c.nodes.values()].find((n) => n !== l)!;
    f.raw.readIndex(enc('r2'));
    c.stabilize();
    assert.deepEqual(
      f.readStates.map((r) => [r.index, dec(r.requestCtx)]),
      [[2, 'r2']],
    );
  });

  it('does not answer ReadIndex when the leader cannot reach a quorum', () => {
    const c = new Cluster({ n: 3, seed: 11 });
    const l = c.electLeader();
    c.net.isolate(l.id, c.ids());
    l.raw.readIndex(enc('r1'));
    c.tickAndStabilize(3);
    assert.equal(l.readStates.length, 0);
    c.net.heal();
    c.tickAndStabilize(2);
    assert.equal(l.readStates.length, 1);
  });
});

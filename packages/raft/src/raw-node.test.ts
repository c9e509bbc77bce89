import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrProposalDropped, ErrStepLocalMsg } from './errors.js';
import { RawNode } from './raw-node.js';
import { ReadOnlyOption } from './read-only.js';
import { Cluster } from './sim/cluster.js';
import { MemoryStorage } from './storage.js';
import { EntryType, emptyConfState, MessageType, message, StateType } from './types.js';

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

describe('RawNode details', () => {
  it('a new leader holds ReadIndex requests until it commits an entry of its term', () => {
    const storage = new MemoryStorage({ ...emptyConfState(), voters: [1n, 2n, 3n] });
    const r = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage }).raft;
    r.becomeCandidate();
    r.becomeLeader();
    r.takeMessages();
    const ctx = enc('early');
    r.step(message({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: 0, data: ctx }] }));
    assert.equal(r.takeMessages().length, 0); // no heartbeat round yet
    r.step(message({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 1, index: 1 }));
    assert.equal(r.raftLog.committed, 1);
    const hbs = r.takeMessages().filter((m) => m.type === MessageType.MsgHeartbeat);
    assert.deepEqual(
      hbs.map((m) => dec(m.context)),
      ['early', 'early'],
    );
    assert.equal(r.readStates.length, 0);
    r.step(message({ type: MessageType.MsgHeartbeatResp, from: 3n, to: 1n, term: 1, context: ctx }));
    assert.deepEqual(
      r.readStates.map((rs) => [rs.index, dec(rs.requestCtx)]),
      [[1, 'early']],
    );
  });

  it('a restarted node does not hand out entries it applied before (config.applied)', () => {
    const storage = new MemoryStorage({ ...emptyConfState(), voters: [1n] });
    const rn = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage });
    rn.campaign();
    for (let i = 0; i < 3; i++) {
      if (i > 0) rn.propose(enc(`x${i}`));
      const rd = rn.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      rn.advance();
    }
    const again = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, applied: 2 });
    const rd = again.ready();
    assert.deepEqual(
      rd.committedEntries.map((e) => e.index),
      [3],
    );
    assert.equal(rd.entries.length, 0);
  });

  it('status reports the leader view of every follower; reportUnreachable sends a follower back to probing', () => {
    const c = new Cluster({ n: 3, seed: 11 });
    const l = c.electLeader();
    const st = l.raw.status();
    assert.equal(st.softState.raftState, StateType.StateLeader);
    assert.deepEqual([...st.progress.keys()], [1n, 2n, 3n]);
    const f = [...st.progress.keys()].find((id) => id !== l.id)!;
    assert.equal(st.progress.get(f)!.state, 1);
    l.raw.reportUnreachable(f);
    assert.equal(l.raw.status().progress.get(f)!.state, 0);
  });

  it('proposeBatch appends many entries in one proposal', () => {
    const c = new Cluster({ n: 3, seed: 11 });
    const l = c.electLeader();
    l.raw.proposeBatch([enc('a'), enc('b'), enc('c')]);
    c.stabilize();
    for (const n of c.nodes.values()) assert.equal(n.appliedIndex, 4);
  });

  it('a follower answers ReadIndex through a lease-holding leader', () => {
    const c = new Cluster({
      n: 3,
      seed: 11,
      checkQuorum: true,
      readOnlyOption: ReadOnlyOption.ReadOnlyLeaseBased,
    });
    const l = c.electLeader();
    c.tickAndStabilize(2);
    const f = [...c.nodes.values()].find((n) => n !== l)!;
    f.raw.readIndex(enc('lease'));
    c.stabilize();
    assert.deepEqual(
      f.readStates.map((r) => r.index),
      [l.raw.raft.raftLog.committed],
    );
  });
});

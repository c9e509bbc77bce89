// One test per rule of the Raft paper (Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm"), driving the state machine message by message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrProposalDropped } from './errors.js';
import { Raft } from './raft.js';
import { seededRandom } from './random.js';
import { MemoryStorage } from './storage.js';
import {
  EMPTY,
  type Entry,
  EntryType,
  emptyConfState,
  type Message,
  MessageType,
  message,
  type NodeId,
  StateType,
} from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);

function ent(term: number, index: number, data = EMPTY): Entry {
  return { term, index, type: EntryType.EntryNormal, data };
}

function newRaft(
  id: number,
  peers: number[],
  opts: { election?: number; storage?: MemoryStorage; seed?: number } = {},
) {
  const storage = opts.storage ?? new MemoryStorage({ ...emptyConfState(), voters: peers.map(BigInt) });
  return new Raft({
    id: BigInt(id),
    electionTick: opts.election ?? 10,
    heartbeatTick: 1,
    storage,
    random: seededRandom(opts.seed ?? id),
  });
}

function storageWith(peers: number[], ents: Entry[], term = 0): MemoryStorage {
  const s = new MemoryStorage({ ...emptyConfState(), voters: peers.map(BigInt) });
  s.append(ents);
  if (term) s.setHardState({ term, vote: 0n, commit: 0 });
  return s;
}

function take(r: Raft): Message[] {
  return r.takeMessages();
}

function electAsLeader(r: Raft): void {
  r.becomeCandidate();
  r.becomeLeader();
  take(r);
}

function prop(data: string): Message {
  return message({ type: MessageType.MsgProp, from: 1n, entries: [ent(0, 0, enc(data))] });
}

/** Delivers messages between rafts until none are left (bounded). */
function exchange(rafts: Map<NodeId, Raft>, msgs: Message[], dropTo: Set<NodeId> = new Set()): void {
  let queue = msgs;
  for (let i = 0; i < 1000 && queue.length > 0; i++) {
    const next: Message[] = [];
    for (const m of queue) {
      const r = rafts.get(m.to);
      if (!r || dropTo.has(m.to)) continue;
      try {
        r.step(m);
      } catch (e) {
        if (!(e instanceof ErrProposalDropped)) throw e;
      }
      next.push(...take(r));
    }
    queue = next;
  }
}

describe('Raft paper 5.1: terms', () => {
  for (const [name, setup] of [
    ['follower', (r: Raft) => r.becomeFollower(1, 2n)],
    ['candidate', (r: Raft) => r.becomeCandidate()],
    ['leader', (r: Raft) => electAsLeader(r)],
  ] as const) {
    it(`a ${name} that sees a higher term adopts it and becomes a follower`, () => {
      const r = newRaft(1, [1, 2, 3]);
      setup(r);
      r.step(message({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 5 }));
      assert.equal(r.term, 5);
      assert.equal(r.state, StateType.StateFollower);
      assert.equal(r.lead, 2n);
    });
  }

  it('ignores a request with a stale term', () => {
    const r = newRaft(1, [1, 2, 3]);
    r.becomeFollower(2, 2n);
    r.step(message({ type: MessageType.MsgApp, from: 3n, to: 1n, term: 1, index: 0, entries: [ent(1, 1)] }));
    assert.equal(r.raftLog.lastIndex(), 0);
    assert.deepEqual(take(r), []);
  });
});

describe('Raft paper 5.2: leader election', () => {
  it('starts as a follower', () => {
    assert.equal(newRaft(1, [1, 2, 3]).state, StateType.StateFollower);
  });

  it('a leader sends heartbeats every heartbeat tick', () => {
    const r = newRaft(1, [1, 2, 3]);
    electAsLeader(r);
    r.tick();
    const msgs = take(r).filter((m) => m.type === MessageType.MsgHeartbeat);
    assert.deepEqual(
      msgs.map((m) => m.to),
      [2n, 3n],
    );
  });

  for (const state of ['follower', 'candidate'] as const) {
    it(`a ${state} that hears nothing for an election timeout starts an election`, () => {
      const r = newRaft(1, [1, 2, 3]);
      if (state === 'candidate') r.becomeCandidate();
      const term = r.term;
      for (let i = 0; i < 20; i++) r.tick();
      assert.equal(r.term, term + 1);
      assert.equal(r.state, StateType.StateCandidate);
      assert.equal(r.vote, 1n);
      const votes = take(r).filter((m) => m.type === MessageType.MsgVote);
      assert.deepEqual(
        votes.map((m) => [m.to, m.term]),
        [
          [2n, term + 1],
          [3n, term + 1],
        ],
      );
    });
  }

  const cases: [number, Record<number, boolean>, StateType][] = [
    [1, {}, StateType.StateLeader],
    [3, { 2: true, 3: true }, StateType.StateLeader],
    [3, { 2: true }, StateType.StateLeader],
    [5, { 2: true, 3: true, 4: true, 5: true }, StateType.StateLeader],
    [5, { 2: true, 3: true }, StateType.StateLeader],
    [3, { 2: false, 3: false }, StateType.StateFollower],
    [5, { 2: false, 3: false, 4: false, 5: false }, StateType.StateFollower],
    [5, { 2: true, 3: false, 4: false, 5: false }, StateType.StateFollower],
    [3, {}, StateType.StateCandidate],
    [5, { 2: true }, StateType.StateCandidate],
    [5, { 2: false, 3: false }, StateType.StateCandidate],
  ];
  for (const [size, votes, want] of cases) {
    it(`a candidate of ${size} with votes ${JSON.stringify(votes)} ends ${StateType[want]}`, () => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const r = newRaft(1, ids);
      r.step(message({ type: MessageType.MsgHup, from: 1n }));
      for (const [id, granted] of Object.entries(votes)) {
        r.step(
          message({
            type: MessageType.MsgVoteResp,
            from: BigInt(id),
            to: 1n,
            term: r.term,
            reject: !granted,
          }),
        );
      }
      assert.equal(r.state, want);
      assert.equal(r.term, 1);
    });
  }

  it('a follower votes for at most one candidate per term, first come first served', () => {
    const r = newRaft(1, [1, 2, 3]);
    r.step(message({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 1 }));
    r.step(message({ type: MessageType.MsgVote, from: 3n, to: 1n, term: 1 }));
    r.step(message({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 1 }));
    const resps = take(r).map((m) => [m.to, m.reject]);
    assert.deepEqual(resps, [
      [2n, false],
      [3n, true],
      [2n, false],
    ]);
    assert.equal(r.vote, 2n);
  });

  it('a candidate steps down when it hears from a leader of at least its term', () => {
    const r = newRaft(1, [1, 2, 3]);
    r.becomeCandidate();
    r.step(message({ type: MessageType.MsgApp, from: 2n, to: 1n, term: r.term }));
    assert.equal(r.state, StateType.StateFollower);
    assert.equal(r.lead, 2n);
  });

  it('election timeouts are randomized in [electionTick, 2 * electionTick)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const r = newRaft(1, [1, 2, 3], { seed });
      let t = 0;
      while (r.state === StateType.StateFollower && t < 100) {
        r.tick();
        t++;
      }
      assert.ok(t >= 10 && t < 20, `timeout ${t}`);
      seen.add(t);
    }
    assert.equal(seen.size, 10);
  });

  it('the same seed gives the same timeouts (determinism)', () => {
    const run = () => {
      const r = newRaft(1, [1, 2, 3], { seed: 42 });
      const out: number[] = [];
      let t = 0;
      for (let i = 0; i < 200; i++) {
        r.tick();
        t++;
        if (r.state === StateType.StateCandidate) {
          out.push(t);
          t = 0;
          r.becomeFollower(r.term, 0n);
        }
      }
      return out;
    };
    assert.deepEqual(run(), run());
  });
});

describe('Raft paper 5.3: log replication', () => {
  it('the leader appends a proposal and sends it to every follower', () => {
    const r = newRaft(1, [1, 2, 3]);
    electAsLeader(r);
    // The followers acknowledge the leader's empty entry so that they are in replicate state.
    for (const id of [2n, 3n])
      r.step(message({ type: MessageType.MsgAppResp, from: id, to: 1n, term: r.term, index: 1 }));
    take(r);
    r.step(prop('x'));
    const apps = take(r).filter((m) => m.type === MessageType.MsgApp);
    assert.deepEqual(
      apps.map((m) => [m.to, m.index, m.logTerm, m.entries.length]),
      [
        [2n, 1, 1, 1],
        [3n, 1, 1, 1],
      ],
    );
    assert.equal(r.raftLog.lastIndex(), 2);
  });

  it('an entry commits once a majority has it, and followers learn the commit index', () => {
    const ids = [1n, 2n, 3n];
    const rafts = new Map(ids.map((id) => [id, newRaft(Number(id), [1, 2, 3])]));
    const l = rafts.get(1n)!;
    l.step(message({ type: MessageType.MsgHup, from: 1n }));
    exchange(rafts, take(l));
    assert.equal(l.state, StateType.StateLeader);
    l.step(prop('x'));
    // Node 3 is down: a majority (1, 2) is enough.
    exchange(rafts, take(l), new Set([3n]));
    assert.equal(l.raftLog.committed, 2);
    l.tick();
    exchange(rafts, take(l), new Set([3n]));
    assert.equal(rafts.get(2n)!.raftLog.committed, 2);
    assert.ok(rafts.get(3n)!.raftLog.committed < 2);
  });

  it('a follower rejects an append whose previous entry does not match (log matching)', () => {
    const s = storageWith([1, 2, 3], [ent(1, 1), ent(2, 2)], 2);
    const r = newRaft(1, [1, 2, 3], { storage: s });
    r.step(
      message({
        type: MessageType.MsgApp,
        from: 2n,
        to: 1n,
        term: 3,
        index: 2,
        logTerm: 3,
        entries: [ent(3, 3)],
      }),
    );
    const [resp] = take(r);
    assert.equal(resp.reject, true);
    assert.equal(resp.rejectHint, 2);
    assert.equal(resp.logTerm, 2);
    assert.equal(r.raftLog.lastIndex(), 2);
  });

  it('a follower deletes conflicting entries and everything after them', () => {
    const s = storageWith([1, 2, 3], [ent(1, 1), ent(2, 2), ent(2, 3)], 2);
    const r = newRaft(1, [1, 2, 3], { storage: s });
    r.step(
      message({
        type: MessageType.MsgApp,
        from: 2n,
        to: 1n,
        term: 3,
        index: 1,
        logTerm: 1,
        entries: [ent(3, 2)],
      }),
    );
    assert.deepEqual(
      r.raftLog.allEntries().map((e) => [e.index, e.term]),
      [
        [1, 1],
        [2, 3],
      ],
    );
    const [resp] = take(r);
    assert.equal(resp.reject, false);
    assert.equal(resp.index, 2);
  });

  it('the leader brings a divergent follower log in line, skipping a term per round trip', () => {
    // The paper's figure 7: leader (term 8) and a follower with many entries of stale terms.
    const leaderEnts = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6].map((t, i) => ent(t, i + 1));
    const followerEnts = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3].map((t, i) => ent(t, i + 1));
    const l = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], leaderEnts, 7) });
    const f = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], followerEnts, 7) });
    l.becomeCandidate(); // term 8
    l.becomeLeader();
    take(l);
    const rafts = new Map([
      [1n, l],
      [2n, f],
    ]);
    let appends = 0;
    let queue = [message({ type: MessageType.MsgBeat, from: 1n })];
    l.step(queue[0]);
    queue = take(l);
    for (let i = 0; i < 100 && queue.length > 0; i++) {
      const next: Message[] = [];
      for (const m of queue) {
        if (m.to === 3n) continue;
        if (m.type === MessageType.MsgApp) appends++;
        const r = rafts.get(m.to)!;
        r.step(m);
        next.push(...take(r));
      }
      queue = next;
    }
    assert.deepEqual(
      f.raftLog.allEntries().map((e) => e.term),
      l.raftLog.allEntries().map((e) => e.term),
    );
    // Probing one entry at a time would need ~10 appends; term skipping needs far fewer.
    assert.ok(appends <= 5, `appends ${appends}`);
  });
});

describe('Raft paper 5.4: safety', () => {
  it('a voter refuses a candidate whose log is less up to date (election restriction)', () => {
    const s = storageWith([1, 2, 3], [ent(1, 1), ent(2, 2)], 2);
    const r = newRaft(1, [1, 2, 3], { storage: s });
    const cases: [number, number, boolean][] = [
      [1, 1, true], // older last term
      [3, 1, true], // older term, longer log
      [1, 2, true], // same term, shorter
      [2, 2, false], // same
      [3, 2, false], // longer
      [1, 3, false], // newer term
    ];
    for (const [index, logTerm, reject] of cases) {
      r.vote = 0n;
      r.step(message({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 3, index, logTerm }));
      const [resp] = take(r);
      assert.equal(resp.reject, reject, `candidate at (${index}, ${logTerm})`);
      r.becomeFollower(2, 0n);
      r.term = 2;
    }
  });

  it('a leader commits entries of earlier terms only by committing one of its own term (figure 8)', () => {
    // Leader of term 3 has index 2 from term 2 replicated to a majority; it must not count it as committed.
    const s = storageWith([1, 2, 3], [ent(1, 1), ent(2, 2)], 2);
    const r = newRaft(1, [1, 2, 3], { storage: s });
    r.becomeCandidate(); // term 3
    r.becomeLeader(); // appends its empty entry at index 3
    take(r);
    r.step(message({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 3, index: 2 }));
    assert.equal(r.raftLog.committed, 0);
    r.step(message({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 3, index: 3 }));
    assert.equal(r.raftLog.committed, 3);
  });

  it('a new leader holds every committed entry (leader completeness) through an election', () => {
    const ids = [1n, 2n, 3n];
    const rafts = new Map(ids.map((id) => [id, newRaft(Number(id), [1, 2, 3])]));
    const l = rafts.get(1n)!;
    l.step(message({ type: MessageType.MsgHup, from: 1n }));
    exchange(rafts, take(l));
    l.step(prop('x'));
    exchange(rafts, take(l), new Set([3n])); // committed on 1 and 2 only
    assert.equal(l.raftLog.committed, 2);
    // Node 3 (stale log) cannot win; node 2 can.
    const n3 = rafts.get(3n)!;
    n3.step(message({ type: MessageType.MsgHup, from: 3n }));
    exchange(rafts, take(n3), new Set([1n]));
    assert.notEqual(n3.state, StateType.StateLeader);
    const n2 = rafts.get(2n)!;
    for (let i = 0; i < 30 && n2.state !== StateType.StateLeader; i++) {
      n2.tick();
      exchange(rafts, take(n2), new Set([1n]));
    }
    assert.equal(n2.state, StateType.StateLeader);
    assert.equal(n2.raftLog.termOrUndefined(2), 1);
  });
});

describe('proposals', () => {
  it('a candidate drops proposals with ErrProposalDropped', () => {
    const r = newRaft(1, [1, 2, 3]);
    r.becomeCandidate();
    assert.throws(() => r.step(prop('x')), ErrProposalDropped);
  });

  it('batches many proposals into one append per follower', () => {
    const r = newRaft(1, [1, 2, 3]);
    electAsLeader(r);
    for (const id of [2n, 3n])
      r.step(message({ type: MessageType.MsgAppResp, from: id, to: 1n, term: r.term, index: 1 }));
    take(r);
    for (let i = 0; i < 50; i++) r.step(prop(`p${i}`));
    const apps = take(r).filter((m) => m.type === MessageType.MsgApp);
    assert.equal(apps.length, 2);
    assert.equal(apps[0].entries.length, 50);
  });
});

describe('Raft paper figure 8, played out on five servers', () => {
  it('an entry of an old term stored on a majority is not committed, and may be overwritten', () => {
    const logs: Record<number, [number, number][]> = {
      1: [
        [1, 1],
        [2, 2],
      ],
      2: [
        [1, 1],
        [2, 2],
      ],
      3: [[1, 1]],
      4: [[1, 1]],
      5: [
        [1, 1],
        [2, 3],
      ],
    };
    const rafts = new Map<NodeId, Raft>();
    for (let id = 1; id <= 5; id++) {
      const s = storageWith(
        [1, 2, 3, 4, 5],
        logs[id].map(([i, t]) => ent(t, i)),
      );
      s.setHardState({ term: 3, vote: 0n, commit: 1 });
      const r = new Raft({
        id: BigInt(id),
        electionTick: 10,
        heartbeatTick: 1,
        storage: s,
        maxSizePerMsg: 0,
      });
      rafts.set(BigInt(id), r);
    }
    const s1 = rafts.get(1n)!;
    const s5 = rafts.get(5n)!;
    // (c) S1 is elected for term 4 by S2 and S3, and appends its own entry at index 3.
    const deliver = (msgs: Message[], allow: (m: Message) => boolean) => {
      let queue = msgs;
      for (let i = 0; i < 100 && queue.length > 0; i++) {
        const next: Message[] = [];
        for (const m of queue) {
          if (!allow(m)) continue;
          const r = rafts.get(m.to)!;
          r.step(m);
          next.push(...take(r));
        }
        queue = next;
      }
    };
    s1.step(message({ type: MessageType.MsgHup, from: 1n }));
    assert.equal(s1.term, 4);
    deliver(
      take(s1),
      (m) => [1n, 2n, 3n].includes(m.to) && [1n, 2n, 3n].includes(m.from) && m.type !== MessageType.MsgApp,
    );
    assert.equal(s1.state, StateType.StateLeader);
    assert.equal(s1.raftLog.lastIndex(), 3);
    // S1 replicates: S2 gets everything, S3 only the old entry at index 2.
    s1.step(message({ type: MessageType.MsgBeat, from: 1n }));
    deliver(take(s1), (m) => {
      if (m.to === 4n || m.to === 5n || m.from === 4n || m.from === 5n) return false;
      // S3 first rejects the probe at index 2 (it lacks it), then gets index 2; what follows is lost.
      if (m.to === 3n && m.type === MessageType.MsgApp && rafts.get(3n)!.raftLog.lastIndex() >= 2)
        return false;
      return true;
    });
    assert.equal(rafts.get(3n)!.raftLog.lastIndex(), 2);
    assert.equal(s1.trk.progress.get(3n)!.match, 2);
    // Index 2 (term 2) is on S1, S2 and S3, a majority, but it is not committed: it is not of term 4.
    assert.equal(s1.raftLog.committed, 1);
    // (d) S1 crashes; S5 (after a failed try in term 4, where S3 already voted) wins term 5 with votes
    // from S3 and S4, and overwrites index 2.
    for (let i = 0; i < 2; i++) {
      s5.step(message({ type: MessageType.MsgHup, from: 5n }));
      deliver(take(s5), (m) => m.to !== 1n && m.from !== 1n && m.to !== 2n);
    }
    assert.equal(s5.term, 5);
    assert.equal(s5.state, StateType.StateLeader);
    s5.step(message({ type: MessageType.MsgBeat, from: 5n }));
    deliver(take(s5), (m) => m.to !== 1n && m.from !== 1n && m.to !== 2n);
    assert.equal(rafts.get(3n)!.raftLog.term(2), 3);
    assert.equal(rafts.get(4n)!.raftLog.term(2), 3);
    assert.ok(s5.raftLog.committed >= 2);
  });
});

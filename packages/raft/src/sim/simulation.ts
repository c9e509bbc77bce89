// A seeded fault-injection run of a whole cluster: partitions, lossy network, crashes and restarts,
// membership changes, leader transfers, compaction. Safety is checked after every step; at the end
// the faults heal and the cluster must elect a leader and commit within a bounded number of ticks.
import { ErrProposalDropped } from '../errors.js';
import { seededRandom } from '../random.js';
import { ReadOnlyOption } from '../read-only.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY,
  MessageType,
  type NodeId,
  StateType,
} from '../types.js';
import { Checker } from './checker.js';
import { Cluster } from './cluster.js';
import type { SimNode } from './sim-node.js';

export interface SimConfig {
  seed: number;
  /** Initial voters: 3 or 5 (chosen from the seed when absent). */
  nodes?: number;
  /** Ticks of faults before healing. */
  ticks?: number;
  /** Delivery rounds per tick. */
  roundsPerTick?: number;
  /** Ticks allowed after healing for a leader to be elected and a proposal to commit everywhere. */
  livenessTicks?: number;
  /** Print each fault as it happens. */
  verbose?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  error?: string;
  nodes: number;
  features: string;
  committed: number;
  readsServed: number;
  faults: number;
  livenessTicks: number;
  /** Counts of interesting messages sent: snapshots, TimeoutNow, pre-votes. */
  snapshots: number;
  transfers: number;
  preVotes: number;
  jointConfigs: number;
}

const enc = (s: string) => Buffer.from(s, 'latin1');

export function runSimulation(cfg: SimConfig): SimResult {
  const rnd = seededRandom(cfg.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const chance = (p: number) => rnd() < p;

  // Odd seeds run 3 members, even seeds 5.
  const nodes = cfg.nodes ?? (cfg.seed % 2 === 1 ? 3 : 5);
  const preVote = chance(0.5);
  const checkQuorum = chance(0.6);
  const lease = checkQuorum && chance(0.5);
  const asyncPersist = chance(0.5);
  // Calm, busy or stormy: the chance of a fault each tick.
  const faultRate = pick([0.05, 0.15, 0.4]);
  const features = [
    preVote && 'prevote',
    checkQuorum && 'checkquorum',
    lease && 'lease',
    asyncPersist && 'async-persist',
    `faults=${faultRate}`,
  ]
    .filter(Boolean)
    .join(',');
  const electionTick = 10;
  const c = new Cluster({
    n: nodes,
    seed: Math.floor(rnd() * 2 ** 32),
    bootstrap: true,
    encodeMessages: true,
    asyncPersist,
    electionTick,
    heartbeatTick: 1,
    preVote,
    checkQuorum,
    readOnlyOption: lease ? ReadOnlyOption.ReadOnlyLeaseBased : ReadOnlyOption.ReadOnlySafe,
    maxSizePerMsg: pick([0, 64, 1024 * 1024]),
    maxInflightMsgs: pick([1, 4, 256]),
    maxCommittedSizePerReady: pick([64, 1024 * 1024]),
  });
  const checker = new Checker(c);
  const ticks = cfg.ticks ?? 200;
  const roundsPerTick = cfg.roundsPerTick ?? 4;
  const livenessTicks = cfg.livenessTicks ?? 30 * electionTick;
  let nextId = nodes + 1;
  const removed = new Set<NodeId>();
  let faults = 0;
  let jointConfigs = 0;
  let seq = 0;
  const log = (s: string) => {
    if (cfg.verbose) console.log(`[t${c.ticks} r${c.now}] ${s}`);
  };

  const members = (): SimNode[] => [...c.nodes.values()].filter((n) => !removed.has(n.id));
  const upMembers = () => members().filter((n) => n.up);

  const checkEachStep = () => checker.check();
  const runRounds = (k: number) => {
    for (let i = 0; i < k; i++) {
      c.round(checkEachStep);
      // A member removed by a committed conf change shuts down, and its peers stop talking to it (as
      // etcd's transport refuses removed members).
      const l = c.leader();
      if (l) {
        const cs = l.confState;
        const inConf = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing]);
        for (const [id, at] of removalIndex) {
          if (!removed.has(id) && !inConf.has(id) && l.appliedIndex >= at) {
            removed.add(id);
            c.crash(id);
            c.net.isolate(id, c.ids());
            log(`node ${id} removed and shut down`);
          }
        }
      }
      checker.checkLogMatching();
    }
  };
  // The index of the change that removes a node (it may not commit; then the node stays).
  const removalIndex = new Map<NodeId, number>();

  const propose = (n: SimNode) => {
    try {
      n.raw.propose(enc(`v${seq++}`));
    } catch (e) {
      if (!(e instanceof ErrProposalDropped)) throw e;
    }
  };

  const membershipChange = (l: SimNode) => {
    const cs = l.confState;
    if (cs.votersOutgoing.length > 0) return;
    const voters = cs.voters.filter((id) => !removed.has(id));
    const learners = cs.learners;
    const r = rnd();
    try {
      if (r < 0.3 && c.nodes.size < nodes + 3) {
        const id = BigInt(nextId++);
        c.addNode(id);
        log(`add learner ${id}`);
        l.raw.proposeConfChange({
          type: ConfChangeType.ConfChangeAddLearnerNode,
          nodeId: id,
          context: EMPTY,
          id: 0,
        });
      } else if (r < 0.55 && learners.length > 0) {
        const id = pick(learners);
        log(`promote learner ${id}`);
        l.raw.proposeConfChange({
          type: ConfChangeType.ConfChangeAddNode,
          nodeId: id,
          context: EMPTY,
          id: 0,
        });
      } else if (r < 0.8 && voters.length > 3) {
        const id = pick(voters);
        log(`remove voter ${id}`);
        removalIndex.set(id, l.raw.raft.raftLog.lastIndex() + 1);
        l.raw.proposeConfChange({
          type: ConfChangeType.ConfChangeRemoveNode,
          nodeId: id,
          context: EMPTY,
          id: 0,
        });
      } else if (learners.length > 0 && voters.length >= 3) {
        // Swap a learner in for a voter at once: needs a joint config.
        const add = pick(learners);
        const rm = pick(voters);
        log(`joint: promote ${add}, demote ${rm}`);
        jointConfigs++;
        l.raw.proposeConfChange({
          transition: chance(0.5) ? ConfChangeTransition.Auto : ConfChangeTransition.JointImplicit,
          changes: [
            { type: ConfChangeType.ConfChangeAddNode, nodeId: add },
            { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: rm },
          ],
          context: EMPTY,
        });
      }
    } catch (e) {
      if (!(e instanceof ErrProposalDropped)) throw e;
    }
  };

  const fault = () => {
    const up = upMembers();
    const all = members();
    const ids = all.map((n) => n.id);
    const r = rnd();
    faults++;
    if (r < 0.12) {
      // Symmetric partition into two random sides.
      c.net.heal();
      const side = new Set(ids.filter(() => chance(0.5)));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) c.net.cutLink(a, b);
      log(`partition ${[...side].join(',')} | rest`);
    } else if (r < 0.2) {
      const a = pick(ids);
      const b = pick(ids);
      if (a !== b) c.net.cutLink(a, b);
      log(`cut ${a} -> ${b}`);
    } else if (r < 0.28) {
      const l = c.leader();
      if (l && chance(0.5)) {
        c.net.isolate(l.id, ids);
        log(`isolate leader ${l.id}`);
      } else if (l) {
        // The leader keeps a minority: it can append but not commit, leaving divergent tails behind.
        c.net.heal();
        const side = new Set([l.id, pick(ids)]);
        for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) c.net.cutLink(a, b);
        log(`leader ${l.id} in minority ${[...side].join(',')}`);
      }
    } else if (r < 0.34) {
      const l = c.leader();
      if (l && chance(0.5)) {
        c.crash(l.id);
        log(`crash leader ${l.id}`);
      } else if (l) {
        // The leader dies right after persisting its next appends: they reach no one, or only a few.
        l.crashAfterPersist = true;
        propose(l);
        log(`crash leader ${l.id} in its next Ready`);
      }
    } else if (r < 0.4) {
      c.net.heal();
      for (const id of removed) c.net.isolate(id, c.ids());
      log('heal');
    } else if (r < 0.5) {
      if (up.length > 0) {
        const n = pick(up);
        if (chance(0.5)) {
          c.crash(n.id);
          log(`crash ${n.id}`);
        } else {
          n.crashAfterPersist = true;
          log(`crash ${n.id} in its next Ready, after persisting`);
        }
      }
    } else if (r < 0.62) {
      const down = all.filter((n) => !n.up);
      if (down.length > 0) {
        const n = pick(down);
        c.restart(n.id);
        checker.nodeRestarted(n.id);
        log(`restart ${n.id}`);
      }
    } else if (r < 0.7) {
      c.net.faults = {
        drop: pick([0, 0.01, 0.05, 0.2]),
        duplicate: pick([0, 0.02, 0.1]),
        maxDelay: pick([0, 1, 3, 8]),
      };
      log(`network ${JSON.stringify(c.net.faults)}`);
    } else if (r < 0.8) {
      const l = c.leader();
      if (l) membershipChange(l);
    } else if (r < 0.86) {
      const l = c.leader();
      const to = l ? pick(l.confState.voters) : undefined;
      if (l && to !== undefined) {
        log(`transfer leadership ${l.id} -> ${to}`);
        l.raw.transferLeader(to);
      }
    } else {
      if (up.length > 0) {
        const n = pick(up);
        if (n.compact(Math.floor(rnd() * 4))) log(`compact ${n.id} to ${n.disk.firstIndex() - 1}`);
      }
    }
  };

  const result = (ok: boolean, error?: string, liveTicks = 0): SimResult => ({
    seed: cfg.seed,
    ok,
    error,
    nodes,
    features,
    committed: checker.maxCommitted,
    readsServed: checker.readsServed,
    faults,
    livenessTicks: liveTicks,
    snapshots: c.sentByType[MessageType.MsgSnap],
    transfers: c.sentByType[MessageType.MsgTimeoutNow],
    preVotes: c.sentByType[MessageType.MsgPreVote],
    jointConfigs,
  });

  try {
    for (let t = 0; t < ticks; t++) {
      if (chance(faultRate)) fault();
      const up = upMembers();
      if (up.length > 0 && chance(0.5)) propose(pick(up));
      if (up.length > 0 && chance(0.15)) {
        const n = pick(up);
        const ctx = `r${seq++}`;
        checker.readIssued(ctx);
        n.raw.readIndex(enc(ctx));
      }
      c.tick();
      runRounds(roundsPerTick);
    }

    // Heal everything and require progress within a bounded number of ticks.
    c.net.heal();
    for (const id of removed) c.net.isolate(id, c.ids());
    c.net.faults = { drop: 0, duplicate: 0, maxDelay: 0 };
    for (const n of members()) {
      n.crashAfterPersist = false;
      if (!n.up) {
        c.restart(n.id);
        checker.nodeRestarted(n.id);
      }
    }
    log('healed; waiting for liveness');
    let proposedAt = -1;
    let marker = '';
    for (let t = 0; t < livenessTicks; t++) {
      c.tick();
      runRounds(roundsPerTick);
      const l = c.leader();
      if (!l) continue;
      if (proposedAt < 0 || (marker && t - proposedAt > 3 * electionTick)) {
        marker = `live${seq++}`;
        try {
          l.raw.propose(enc(marker));
          proposedAt = t;
        } catch (e) {
          if (!(e instanceof ErrProposalDropped)) throw e;
        }
        continue;
      }
      // Done when every member of the leader's config applied the marker.
      const cs = l.confState;
      const everyone = [...cs.voters, ...cs.learners].map((id) => c.nodes.get(id)!);
      const applied = (n: SimNode) => n.sm.some((k, i) => i >= n.sm.length - 50 && k?.endsWith(`/${marker}`));
      if (l.raw.raft.state === StateType.StateLeader && everyone.every((n) => n.up && applied(n))) {
        checker.checkLogMatching();
        return result(true, undefined, t);
      }
    }
    const states = [...c.nodes.values()].map((n) => {
      const r = n.raw.raft;
      const cs = n.confState;
      return `  node ${n.id}${removed.has(n.id) ? ' (removed)' : ''}: up=${n.up} ${StateType[r.state]} term=${r.term} lead=${r.lead} vote=${r.vote} last=${r.raftLog.lastIndex()} committed=${r.raftLog.committed} applied=${n.appliedIndex} voters=${cs.voters} outgoing=${cs.votersOutgoing} learners=${cs.learners}`;
    });
    return result(
      false,
      `liveness: no progress within ${livenessTicks} ticks after healing (marker ${marker})\n${states.join('\n')}`,
      livenessTicks,
    );
  } catch (e) {
    return result(false, e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
}

// A deterministic in-memory cluster: nodes, a network between them, and the bookkeeping the checks need.
import { decodeMessage, encodeMessage } from '../codec.js';
import { ErrStepPeerNotFound } from '../errors.js';
import { seededRandom } from '../random.js';
import {
  type ConfState,
  emptyConfState,
  type Message,
  MessageType,
  type NodeId,
  StateType,
} from '../types.js';
import { Network } from './network.js';
import { type NodeOptions, SimDisk, SimNode } from './sim-node.js';

export interface ClusterOptions extends Partial<NodeOptions> {
  /** Number of voters (ids 1..n) unless ids is given. */
  n?: number;
  ids?: NodeId[];
  learners?: NodeId[];
  seed?: number;
  /** Start the members from bootstrap entries in the log (as etcd does) instead of a stored ConfState. */
  bootstrap?: boolean;
  /** Pass every message through the binary codec, as a real transport would. */
  encodeMessages?: boolean;
  /** Nodes finish each Ready a round after persisting it (as with asynchronous disk writes). */
  asyncPersist?: boolean;
}

export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly net: Network;
  readonly random: () => number;
  /** Delivery rounds so far (the network's clock). */
  now = 0;
  /** ticks so far */
  ticks = 0;
  /** What was applied at each index by anyone: all nodes must agree (state machine safety). */
  readonly appliedAt = new Map<number, string>();
  readonly options: NodeOptions;

  constructor(opts: ClusterOptions = {}) {
    const seed = opts.seed ?? 1;
    this.random = seededRandom(seed);
    this.net = new Network(seededRandom(seed ^ 0x5bd1e995));
    const ids = opts.ids ?? Array.from({ length: opts.n ?? 3 }, (_, i) => BigInt(i + 1));
    const {
      n: _n,
      ids: _ids,
      learners: _l,
      seed: _s,
      bootstrap,
      encodeMessages,
      asyncPersist,
      ...rest
    } = opts;
    this.asyncPersist = asyncPersist ?? false;
    this.encodeMessages = encodeMessages ?? false;
    this.options = { electionTick: 10, heartbeatTick: 1, ...rest };
    if (bootstrap) {
      this.bootstrapPeers = ids;
      for (const id of ids) this.addNode(id).raw.bootstrap(ids.map((p) => ({ id: p })));
      return;
    }
    const cs: ConfState = { ...emptyConfState(), voters: ids, learners: opts.learners ?? [] };
    for (const id of [...ids, ...(opts.learners ?? [])]) this.addNode(id, cs);
  }

  private readonly encodeMessages: boolean;
  private readonly asyncPersist: boolean;
  private bootstrapPeers: NodeId[] = [];

  /** Creates a node with an empty disk (cs undefined: it joins later through a snapshot or conf change). */
  addNode(id: NodeId, cs?: ConfState): SimNode {
    const disk = new SimDisk(cs);
    const node = new SimNode(id, disk, {
      ...this.options,
      random: seededRandom(Math.floor(this.random() * 2 ** 32)),
    });
    node.asyncPersist = this.asyncPersist;
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId | number): SimNode {
    const n = this.nodes.get(BigInt(id));
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  private onApply = (n: SimNode, index: number, key: string): void => {
    const prev = this.appliedAt.get(index);
    if (prev === undefined) this.appliedAt.set(index, key);
    else if (prev !== key) {
      throw new Error(
        `state machine safety: node ${n.id} applied ${key} at ${index}, another node applied ${prev}`,
      );
    }
  };

  /** Outcomes the application reports back to raft after the round (snapshot status, unreachable). */
  private reports: { from: NodeId; to: NodeId; kind: 'snap-ok' | 'snap-failed' | 'unreachable' }[] = [];

  /** Messages sent, by type: shows what a run exercised. */
  readonly sentByType: number[] = new Array(19).fill(0);

  private send = (m: Message): void => {
    this.sentByType[m.type]++;
    const r = this.net.send(this.encodeMessages ? decodeMessage(encodeMessage(m)) : m, this.now);
    if (m.type === MessageType.MsgSnap && r !== 'queued')
      this.reports.push({ from: m.from, to: m.to, kind: 'snap-failed' });
    else if (r === 'cut') this.reports.push({ from: m.from, to: m.to, kind: 'unreachable' });
  };

  private flushReports(): void {
    const reports = this.reports;
    this.reports = [];
    for (const r of reports) {
      const n = this.nodes.get(r.from);
      if (!n?.up) continue;
      if (r.kind === 'unreachable') n.raw.reportUnreachable(r.to);
      else n.raw.reportSnapshot(r.to, r.kind === 'snap-ok');
    }
  }

  /** Delivers one message; returns false if its target is down. */
  deliver(m: Message): boolean {
    const n = this.nodes.get(m.to);
    if (!n?.up) return false;
    try {
      n.raw.step(m);
    } catch (e) {
      if (!(e instanceof ErrStepPeerNotFound)) throw e;
    }
    return true;
  }

  /**
   * One round: every up node handles its Ready, then the messages due are delivered. afterEach runs
   * after each Ready and each delivered message.
   */
  round(afterEach?: () => void): boolean {
    let progressed = false;
    for (const n of this.nodes.values()) {
      if (n.up && n.handleReady(this.send, this.onApply)) {
        progressed = true;
        if (!n.up) this.crash(n.id);
        afterEach?.();
      }
    }
    for (const m of this.net.due(this.now)) {
      if (this.deliver(m)) {
        progressed = true;
        afterEach?.();
        if (m.type === MessageType.MsgSnap) this.reports.push({ from: m.from, to: m.to, kind: 'snap-ok' });
      } else if (m.type === MessageType.MsgSnap) {
        this.reports.push({ from: m.from, to: m.to, kind: 'snap-failed' });
      }
    }
    for (const m of this.net.lostInFlight) {
      if (m.type === MessageType.MsgSnap) this.reports.push({ from: m.from, to: m.to, kind: 'snap-failed' });
    }
    this.net.lostInFlight = [];
    if (this.reports.length > 0) {
      this.flushReports();
      progressed = true;
    }
    this.now++;
    return progressed;
  }

  /** Runs rounds until nothing happens and nothing is in flight (bounded). */
  stabilize(maxRounds = 10_000, afterEach?: () => void): void {
    for (let i = 0; i < maxRounds; i++) {
      const progressed = this.round(afterEach);
      if (!progressed && this.net.pending() === 0) return;
    }
    throw new Error('cluster did not stabilize');
  }

  tick(id?: NodeId | number): void {
    if (id !== undefined) this.node(id).raw.tick();
    else {
      this.ticks++;
      for (const n of this.nodes.values()) if (n.up) n.raw.tick();
    }
  }

  /** Ticks everyone `count` times, stabilizing after each tick. */
  tickAndStabilize(count = 1): void {
    for (let i = 0; i < count; i++) {
      this.tick();
      this.stabilize();
    }
  }

  /** The leader with the highest term among up nodes, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (!n.up || n.raw.raft.state !== StateType.StateLeader) continue;
      if (!best || n.raw.raft.term > best.raw.raft.term) best = n;
    }
    return best;
  }

  /** Ticks until a leader exists (bounded); returns it. */
  electLeader(maxTicks = 200): SimNode {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l) return l;
      this.tickAndStabilize();
    }
    throw new Error(`no leader after ${maxTicks} ticks`);
  }

  crash(id: NodeId | number): void {
    const n = this.node(id);
    n.up = false;
    // The transport of each sender notices and reports a snapshot that was not delivered.
    for (const m of this.net.dropFor(n.id)) {
      if (m.type === MessageType.MsgSnap) this.reports.push({ from: m.from, to: m.to, kind: 'snap-failed' });
    }
  }

  restart(id: NodeId | number): void {
    const n = this.node(id);
    n.restart(seededRandom(Math.floor(this.random() * 2 ** 32)));
    // A founding member that crashed before persisting anything bootstraps again.
    if (n.disk.lastIndex() === 0 && this.bootstrapPeers.includes(n.id)) {
      n.raw.bootstrap(this.bootstrapPeers.map((p) => ({ id: p })));
    }
  }
}

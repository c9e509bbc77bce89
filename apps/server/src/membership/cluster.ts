import { computeClusterId } from '../ids/member-id.js';
import { type Member, type MemberJson, memberFromJson, memberToJson, newMember } from './member.js';

/** Names of etcd errors a membership change can fail with (see the front end's ETCD_ERRORS). */
export type MembershipErrorName =
  | 'MemberExist'
  | 'PeerURLExist'
  | 'MemberNotFound'
  | 'MemberNotLearner'
  | 'TooManyLearners'
  | 'IDRemoved';

export class MembershipError extends Error {
  constructor(readonly errorName: MembershipErrorName) {
    super(`membership: ${errorName}`);
    this.name = 'MembershipError';
  }
}

export interface ClusterJson {
  clusterId: string;
  members: MemberJson[];
  removed: string[];
}

const MAX_LEARNERS = 1;

/** The cluster's members as the applied log says: changed only by applying committed conf changes. */
export class RaftCluster {
  readonly members = new Map<bigint, Member>();
  readonly removed = new Set<bigint>();

  constructor(
    public clusterId: bigint,
    public localId: bigint,
  ) {}

  /** The initial cluster from --initial-cluster (name -> peer URLs). */
  static fromInitial(initial: Map<string, string[]>, token: string, localName: string): RaftCluster {
    const ms = [...initial].map(([name, urls]) => newMember(name, urls, token));
    const local = ms.find((m) => m.name === localName);
    const c = new RaftCluster(computeClusterId(ms.map((m) => m.id)), local?.id ?? 0n);
    for (const m of ms) c.members.set(m.id, m);
    return c;
  }

  sortedMembers(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  member(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Checks a proposed add before it goes to raft, as etcd does (duplicate ID or peer URL, learner cap). */
  validateAdd(m: Member): void {
    if (this.removed.has(m.id)) throw new MembershipError('IDRemoved');
    if (this.members.has(m.id)) throw new MembershipError('MemberExist');
    const urls = new Set<string>();
    for (const x of this.members.values()) for (const u of x.peerUrls) urls.add(u);
    if (m.peerUrls.some((u) => urls.has(u))) throw new MembershipError('PeerURLExist');
    if (m.isLearner && [...this.members.values()].filter((x) => x.isLearner).length >= MAX_LEARNERS) {
      throw new MembershipError('TooManyLearners');
    }
  }

  validateRemove(id: bigint): void {
    if (this.removed.has(id)) throw new MembershipError('IDRemoved');
    if (!this.members.has(id)) throw new MembershipError('MemberNotFound');
  }

  validateUpdate(id: bigint, peerUrls: string[]): void {
    if (this.removed.has(id)) throw new MembershipError('IDRemoved');
    if (!this.members.has(id)) throw new MembershipError('MemberNotFound');
    for (const x of this.members.values()) {
      if (x.id !== id && x.peerUrls.some((u) => peerUrls.includes(u)))
        throw new MembershipError('PeerURLExist');
    }
  }

  validatePromote(id: bigint): void {
    const m = this.members.get(id);
    if (!m) throw new MembershipError('MemberNotFound');
    if (!m.isLearner) throw new MembershipError('MemberNotLearner');
  }

  // Applying a committed change never fails: validation happened at proposal time and the log is the truth.
  add(m: Member): void {
    if (this.removed.has(m.id)) return;
    this.members.set(m.id, { ...m });
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
  }

  updatePeerUrls(id: bigint, peerUrls: string[]): void {
    const m = this.members.get(id);
    if (m) m.peerUrls = [...peerUrls].sort();
  }

  /** A started member publishes its name and client URLs. */
  updateAttributes(id: bigint, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (m) {
      m.name = name;
      m.clientUrls = [...clientUrls];
    }
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m) m.isLearner = false;
  }

  voterCount(): number {
    return [...this.members.values()].filter((m) => !m.isLearner).length;
  }

  toJson(): ClusterJson {
    return {
      clusterId: this.clusterId.toString(16),
      members: this.sortedMembers().map(memberToJson),
      removed: [...this.removed].map((id) => id.toString(16)),
    };
  }

  /** Replaces the members with a snapshot's. */
  restore(j: ClusterJson): void {
    this.clusterId = BigInt('0x' + j.clusterId);
    this.members.clear();
    this.removed.clear();
    for (const m of j.members) this.members.set(BigInt('0x' + m.id), memberFromJson(m));
    for (const r of j.removed) this.removed.add(BigInt('0x' + r));
  }
}

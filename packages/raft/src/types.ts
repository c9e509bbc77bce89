// The data that crosses the library's edge: log entries, persistent state, messages and membership.
// Names follow etcd's raftpb so that code and docs written for etcd-io/raft read the same here.

/** A raft node id. 0n means "nobody". */
export type NodeId = bigint;
export const None: NodeId = 0n;

export enum EntryType {
  EntryNormal = 0,
  EntryConfChange = 1,
  EntryConfChangeV2 = 2,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** The voters of the outgoing config while in a joint config, else empty. */
  votersOutgoing: NodeId[];
  /** Voters of the outgoing config that become learners when the joint config is left. */
  learnersNext: NodeId[];
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  confState: ConfState;
  index: number;
  term: number;
}

export interface Snapshot {
  data: Uint8Array;
  metadata: SnapshotMetadata;
}

export enum MessageType {
  MsgHup = 0,
  MsgBeat = 1,
  MsgProp = 2,
  MsgApp = 3,
  MsgAppResp = 4,
  MsgVote = 5,
  MsgVoteResp = 6,
  MsgSnap = 7,
  MsgHeartbeat = 8,
  MsgHeartbeatResp = 9,
  MsgUnreachable = 10,
  MsgSnapStatus = 11,
  MsgCheckQuorum = 12,
  MsgTransferLeader = 13,
  MsgTimeoutNow = 14,
  MsgReadIndex = 15,
  MsgReadIndexResp = 16,
  MsgPreVote = 17,
  MsgPreVoteResp = 18,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** Term of the entry at `index` (MsgApp), or the hint's term on a rejection, or the candidate's last term. */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
}

export enum ConfChangeType {
  ConfChangeAddNode = 0,
  ConfChangeRemoveNode = 1,
  ConfChangeUpdateNode = 2,
  ConfChangeAddLearnerNode = 3,
}

/** A single membership change (etcd's ConfChange, "v1"). */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  context: Uint8Array;
  id: number;
}

export enum ConfChangeTransition {
  /** Joint consensus only when more than one voter changes; leave the joint config automatically. */
  Auto = 0,
  /** Always use joint consensus and leave it automatically. */
  JointImplicit = 1,
  /** Always use joint consensus; the application proposes an empty ConfChangeV2 to leave it. */
  JointExplicit = 2,
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/** Several membership changes applied together, through a joint config when needed. */
export interface ConfChangeV2 {
  transition: ConfChangeTransition;
  changes: ConfChangeSingle[];
  context: Uint8Array;
}

export enum StateType {
  StateFollower = 0,
  StateCandidate = 1,
  StateLeader = 2,
  StatePreCandidate = 3,
}

export interface SoftState {
  lead: NodeId;
  raftState: StateType;
}

/** The answer to a readIndex request: reads at or after `index` is applied are linearizable. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export const EMPTY = new Uint8Array(0);

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export function emptySnapshot(): Snapshot {
  return { data: EMPTY, metadata: { confState: emptyConfState(), index: 0, term: 0 } };
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export function emptyHardState(): HardState {
  return { term: 0, vote: None, commit: 0 };
}

export function isEmptyHardState(h: HardState): boolean {
  return h.term === 0 && h.vote === None && h.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** A message with every field at its zero value except those given. */
export function message(m: Partial<Message> & { type: MessageType }): Message {
  return {
    to: None,
    from: None,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
    ...m,
  };
}

export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

export function isResponseMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgAppResp ||
    t === MessageType.MsgVoteResp ||
    t === MessageType.MsgHeartbeatResp ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgPreVoteResp
  );
}

export function voteRespMsgType(t: MessageType): MessageType {
  if (t === MessageType.MsgVote) return MessageType.MsgVoteResp;
  if (t === MessageType.MsgPreVote) return MessageType.MsgPreVoteResp;
  throw new Error(`not a vote message: ${MessageType[t]}`);
}

/** The v2 form of a membership change, which the config changer works on. */
export function confChangeAsV2(cc: ConfChange | ConfChangeV2): ConfChangeV2 {
  if ('changes' in cc) return cc;
  return {
    transition: ConfChangeTransition.Auto,
    changes: [{ type: cc.type, nodeId: cc.nodeId }],
    context: cc.context,
  };
}

/** Size of an entry's payload, which the uncommitted-size limit counts. */
export function payloadSize(e: Entry): number {
  return e.data.length;
}

/** Approximate wire size of an entry, which the per-message and per-Ready limits count. */
export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

export function entriesSize(ents: Entry[]): number {
  let s = 0;
  for (const e of ents) s += entrySize(e);
  return s;
}

/** The longest prefix of `ents` whose size is within maxSize, always at least one entry. */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit]);
    if (size > maxSize) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}

// The Raft state machine: one step function per role, and nothing that touches a disk, socket or clock.
// Time is tick(); randomness is config.random; output is collected in msgs and read by RawNode.
import { decodeEntryConfChange, encodeConfChangeV2 } from './codec.js';
import { Changer, enterJoint, isLeaveJoint } from './confchange/changer.js';
import { restoreConfState } from './confchange/restore.js';
import { ErrConfig, ErrProposalDropped, ErrSnapshotTemporarilyUnavailable } from './errors.js';
import { RaftLog } from './log.js';
import { jointCommittedIndex } from './quorum/joint.js';
import { VoteResult } from './quorum/majority.js';
import { seededRandom } from './random.js';
import { ReadOnly, ReadOnlyOption } from './read-only.js';
import type { Storage } from './storage.js';
import { type Progress, ProgressState } from './tracker/progress.js';
import { type ProgressMap, ProgressTracker, type TrackerConfig } from './tracker/tracker.js';
import {
  type ConfChange,
  type ConfChangeV2,
  type ConfState,
  confChangeAsV2,
  EMPTY,
  type Entry,
  EntryType,
  entriesSize,
  type HardState,
  isEmptyHardState,
  isEmptySnapshot,
  type Message,
  MessageType,
  message,
  type NodeId,
  None,
  payloadSize,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateType,
  voteRespMsgType,
} from './types.js';

export interface Config {
  /** This node's id; must not be 0n. */
  id: NodeId;
  /** Ticks a follower waits without hearing from a leader before campaigning (randomized up to 2x). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; must be less than electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** The last index the application applied before a restart (entries up to it are not handed out again). */
  applied?: number;
  /** Byte limit of the entries in one append message (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Byte limit of the committed entries in one Ready. Default: maxSizePerMsg * 64. */
  maxCommittedSizePerReady?: number;
  /** Byte limit of the leader's uncommitted log tail; proposals beyond it are dropped. 0 = no limit. */
  maxUncommittedEntriesSize?: number;
  /** Appends in flight to one follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Bytes in flight to one follower. 0 = no limit. */
  maxInflightBytes?: number;
  /** The leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum?: boolean;
  /** Run a pre-election before bumping the term, so a partitioned node cannot disrupt the cluster. */
  preVote?: boolean;
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** Source of randomness in [0, 1) for election timeouts; defaults to a generator seeded by the id. */
  random?: () => number;
  /** Ticks subtracted from the leader lease to absorb clock rate differences. Default 1. */
  leaseMarginTicks?: number;
}

export interface BasicStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: NodeId;
}

export interface Status extends BasicStatus {
  config: TrackerConfig;
  progress: Map<NodeId, { match: number; next: number; state: ProgressState; isLearner: boolean }>;
}

enum CampaignType {
  PreElection = 'CampaignPreElection',
  Election = 'CampaignElection',
  Transfer = 'CampaignTransfer',
}

const CAMPAIGN_TRANSFER = new TextEncoder().encode(CampaignType.Transfer);

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = None;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state = StateType.StateFollower;
  isLearner = false;
  msgs: Message[] = [];
  lead: NodeId = None;
  /** The id of the node leadership is being transferred to, or None. */
  leadTransferee: NodeId = None;
  /** Only one conf change may be pending (in the log but not yet applied) at a time. */
  pendingConfIndex = 0;
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Ticks since the last election timeout reset (as follower/candidate) or check-quorum (as leader). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks since we last heard from a leader (or were one): while below the election timeout we refuse votes. */
  leaderContactElapsed = 0;
  /** This node's ticks since it started; the clock the leader lease is measured on. */
  tickCount = 0;
  /** Set once the leader asked another node to take over: the lease no longer protects reads this term. */
  leaseRevoked = false;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  readonly leaseMargin: number;
  private readonly random: () => number;
  private stepFn: (m: Message) => void;
  private tickFn: () => void;
  /** Read requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];
  /** Proposals were appended since the last broadcast; they go out together in flushAppends(). */
  private appendPending = false;

  constructor(c: Config) {
    if (c.id === None) throw new ErrConfig('cannot use none as id');
    if (c.heartbeatTick <= 0) throw new ErrConfig('heartbeat tick must be greater than 0');
    if (c.electionTick <= c.heartbeatTick)
      throw new ErrConfig('election tick must be greater than heartbeat tick');
    if ((c.maxInflightMsgs ?? 256) <= 0) throw new ErrConfig('max inflight messages must be greater than 0');
    const readOnlyOption = c.readOnlyOption ?? ReadOnlyOption.ReadOnlySafe;
    if (readOnlyOption === ReadOnlyOption.ReadOnlyLeaseBased && !c.checkQuorum) {
      throw new ErrConfig('CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased');
    }
    this.id = c.id;
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? 0;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? this.maxMsgSize * 64);
    this.trk = new ProgressTracker(c.maxInflightMsgs ?? 256, c.maxInflightBytes ?? 0);
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.heartbeatTimeout = c.heartbeatTick;
    this.electionTimeout = c.electionTick;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.leaseMargin = c.leaseMarginTicks ?? 1;
    this.random = c.random ?? seededRandom(Number(c.id & 0xffffffffn));
    this.readOnly = new ReadOnly(readOnlyOption);
    this.stepFn = this.stepFollower;
    this.tickFn = this.tickElection;

    const { hardState, confState } = c.storage.initialState();
    restoreConfState(this.trk, this.raftLog.lastIndex(), confState);
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr?.isLearner ?? false;
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, None);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new Error(
        `hs.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- sending ----

  private send(m: Message): void {
    if (m.from === None) m.from = this.id;
    if (
      m.type === MessageType.MsgVote ||
      m.type === MessageType.MsgVoteResp ||
      m.type === MessageType.MsgPreVote ||
      m.type === MessageType.MsgPreVoteResp
    ) {
      // Vote messages carry the term they are about, which for pre-votes is a future one.
      if (m.term === 0) throw new Error(`term should be set when sending ${MessageType[m.type]}`);
    } else {
      if (m.term !== 0)
        throw new Error(`term should not be set when sending ${MessageType[m.type]} (was ${m.term})`);
      // Proposals and forwarded reads are not tied to a term: a stale one is harmless and the term of
      // the receiver decides.
      if (m.type !== MessageType.MsgProp && m.type !== MessageType.MsgReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends out appends for proposals made since the last call (batching many proposals per message). */
  flushAppends(): void {
    if (this.appendPending) {
      this.appendPending = false;
      if (this.state === StateType.StateLeader) this.bcastAppend();
    }
  }

  /** Takes the outgoing messages (after flushing batched appends). */
  takeMessages(): Message[] {
    this.flushAppends();
    const m = this.msgs;
    this.msgs = [];
    return m;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends an append (or a snapshot when the needed entries are compacted) to `to`. With sendIfEmpty
   * false, nothing is sent when there are no new entries. Returns whether a message was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.termOrUndefined(prevIndex);
    let ents: Entry[] | undefined;
    if (prevTerm !== undefined && pr.state === ProgressState.StateReplicate && pr.inflights.full()) {
      // Throttled: send only an empty append, whose answer (ack or reject) frees the window even if every
      // append in flight was lost.
      ents = [];
    } else if (prevTerm !== undefined) {
      try {
        ents = this.raftLog.entries(pr.next, this.maxMsgSize);
      } catch {
        ents = undefined;
      }
    }
    if (prevTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    const last = ents.length > 0 ? ents[ents.length - 1].index : prevIndex;
    pr.sentEntries(ents.length, last, entriesSize(ents));
    this.send(
      message({
        type: MessageType.MsgApp,
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // A follower we have not heard from lately may be down; do not waste a snapshot on it.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof ErrSnapshotTemporarilyUnavailable) return false;
      throw e;
    }
    if (isEmptySnapshot(snapshot)) throw new Error('need non-empty snapshot');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(message({ type: MessageType.MsgSnap, to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array): void {
    const pr = this.trk.progress.get(to)!;
    // Never tell a follower to commit beyond what it is known to have: it may not have those entries.
    const commit = Math.min(pr.match, this.raftLog.committed);
    // index carries our tick so the response dates the follower's acknowledgement for the lease.
    this.send(message({ type: MessageType.MsgHeartbeat, to, commit, context: ctx, index: this.tickCount }));
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingRequestCtx();
    this.bcastHeartbeatWithCtx(ctx === undefined ? EMPTY : Buffer.from(ctx, 'latin1'));
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  // ---- commit, append ----

  /** Advances the commit index to what a quorum has, if that is an entry of the current term. */
  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private appendEntry(proposed: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    // New objects: the proposal's entries belong to the caller (and a duplicated message reuses them).
    const es = proposed.map((e, i) => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    if (!this.increaseUncommittedSize(es)) return false;
    const last = this.raftLog.append(es);
    // The leader counts its own log; the application persists it before sending the appends out.
    this.trk.progress.get(this.id)!.maybeUpdate(last);
    this.maybeCommit();
    return true;
  }

  private increaseUncommittedSize(ents: Entry[]): boolean {
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    // Always allow one proposal into an empty tail, so a large entry can still get through.
    if (
      this.uncommittedSize > 0 &&
      s > 0 &&
      this.maxUncommittedSize > 0 &&
      this.uncommittedSize + s > this.maxUncommittedSize
    ) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(ents: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  // ---- roles ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = None;
    }
    this.lead = None;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    this.trk.visit((id, pr) => {
      pr.match = 0;
      pr.next = last + 1;
      pr.state = ProgressState.StateProbe;
      pr.pendingSnapshot = 0;
      pr.recentActive = false;
      pr.msgAppFlowPaused = false;
      pr.inflights.reset();
      pr.leaseAck = Number.MIN_SAFE_INTEGER;
      if (id === this.id) pr.match = last;
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.leaseRevoked = false;
    this.appendPending = false;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = this.stepFollower;
    this.reset(term);
    this.tickFn = this.tickElection;
    this.lead = lead;
    this.state = StateType.StateFollower;
  }

  becomeCandidate(): void {
    if (this.state === StateType.StateLeader) throw new Error('invalid transition [leader -> candidate]');
    this.stepFn = this.stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = this.tickElection;
    this.vote = this.id;
    this.state = StateType.StateCandidate;
  }

  becomePreCandidate(): void {
    if (this.state === StateType.StateLeader) throw new Error('invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither term nor vote; it only asks whether it could win.
    this.stepFn = this.stepCandidate;
    this.trk.resetVotes();
    this.tickFn = this.tickElection;
    this.lead = None;
    this.state = StateType.StatePreCandidate;
  }

  becomeLeader(): void {
    if (this.state === StateType.StateFollower) throw new Error('invalid transition [follower -> leader]');
    this.stepFn = this.stepLeader;
    this.reset(this.term);
    this.tickFn = this.tickHeartbeat;
    this.lead = this.id;
    this.state = StateType.StateLeader;
    const pr = this.trk.progress.get(this.id)!;
    pr.becomeReplicate();
    pr.recentActive = true;
    // Conf changes in the uncommitted tail may be pending; be conservative until they are applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of the new term lets the leader commit everything before it (Raft paper 5.4.2).
    if (!this.appendEntry([{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY }])) {
      throw new Error('empty entry was dropped');
    }
    // The empty entry does not count against the uncommitted size limit.
    this.uncommittedSize = 0;
  }

  /** Can this node become leader? Learners, removed nodes and nodes installing a snapshot cannot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  private hup(t: CampaignType): void {
    if (this.state === StateType.StateLeader) return;
    if (!this.promotable()) return;
    // An unapplied conf change in the committed log could change who may vote; apply it first.
    if (this.raftLog.committed > this.raftLog.applied) {
      const ents = this.raftLog.slice(
        this.raftLog.applied + 1,
        this.raftLog.committed + 1,
        Number.MAX_SAFE_INTEGER,
      );
      if (ents.some((e) => e.type !== EntryType.EntryNormal)) return;
    }
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-votes are for the term we would campaign in.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.VoteWon) {
      // A single-voter cluster wins at once.
      if (t === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    for (const id of [...this.trk.voterIds()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (id === this.id) continue;
      this.send(
        message({
          type: voteMsg,
          to: id,
          term,
          index: this.raftLog.lastIndex(),
          logTerm: this.raftLog.lastTerm(),
          context: t === CampaignType.Transfer ? CAMPAIGN_TRANSFER : EMPTY,
        }),
      );
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- ticks ----

  tick(): void {
    this.tickCount++;
    this.tickFn();
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private tickElection = (): void => {
    this.electionElapsed++;
    this.leaderContactElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.MsgHup, from: this.id }));
    }
  };

  private tickHeartbeat = (): void => {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.leaderContactElapsed = 0;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.StateLeader && this.leadTransferee !== None) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.StateLeader) return;
    // Retry leaving an automatic joint config if the proposal was dropped (e.g. during a transfer).
    if (this.trk.config.autoLeave) this.afterApplied(this.raftLog.applied);
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.MsgBeat, from: this.id }));
    }
  };

  // ---- step ----

  /** Feeds a message (local or from a peer) into the state machine. Throws ErrProposalDropped for proposals. */
  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        // While we believe a leader is alive we refuse to help depose it: this keeps a partitioned,
        // rejoining node from disrupting the cluster and makes the leader lease hold.
        const inLease = this.checkQuorum && this.leaderContactElapsed < this.electionTimeout;
        if (!force && inLease) return;
      }
      if (m.type === MessageType.MsgPreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // The term is bumped when the pre-election is won.
      } else if (
        m.type === MessageType.MsgApp ||
        m.type === MessageType.MsgHeartbeat ||
        m.type === MessageType.MsgSnap
      ) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, None);
      }
    } else if (m.term < this.term) {
      if (
        (this.checkQuorum || this.preVote) &&
        (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)
      ) {
        // A stale leader (e.g. rejoining after a partition) learns our term from this response and steps
        // down; otherwise with check-quorum or pre-vote it could never find out.
        this.send(message({ type: MessageType.MsgAppResp, to: m.from }));
      } else if (m.type === MessageType.MsgPreVote) {
        // Reject, so the pre-candidate learns our term instead of waiting forever.
        this.send(message({ type: MessageType.MsgPreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === None && this.lead === None) ||
          (m.type === MessageType.MsgPreVote && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          // The response carries the term of the request, not ours (they differ for pre-votes).
          this.send(message({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.MsgVote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(message({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return;
      }
      default:
        this.stepFn(m);
    }
  }

  private stepLeader = (m: Message): void => {
    switch (m.type) {
      case MessageType.MsgBeat:
        this.bcastHeartbeat();
        return;
      case MessageType.MsgCheckQuorum:
        if (!this.trk.quorumActive()) {
          this.becomeFollower(this.term, None);
        }
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case MessageType.MsgProp: {
        if (m.entries.length === 0) throw new Error('stepped empty MsgProp');
        if (!this.trk.progress.has(this.id)) {
          throw new ErrProposalDropped('raft proposal dropped: this node was removed from the configuration');
        }
        if (this.leadTransferee !== None) {
          throw new ErrProposalDropped('raft proposal dropped: leadership transfer in progress');
        }
        const entries = m.entries.slice();
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i];
          if (e.type === EntryType.EntryNormal) continue;
          const cc = confChangeAsV2(decodeEntryConfChange(e));
          const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
          const alreadyJoint = this.trk.config.voters[1].size > 0;
          const wantsLeaveJoint = cc.changes.length === 0;
          // A refused change becomes an empty entry so that the others in the batch keep their place.
          if (alreadyPending || (alreadyJoint && !wantsLeaveJoint) || (!alreadyJoint && wantsLeaveJoint)) {
            entries[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY };
          } else {
            this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
          }
        }
        if (!this.appendEntry(entries)) {
          throw new ErrProposalDropped('raft proposal dropped: too many uncommitted entries');
        }
        this.appendPending = true;
        return;
      }
      case MessageType.MsgReadIndex:
        if (this.trk.isSingleton()) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return;
        }
        // Until an entry of this term commits we do not know the real commit index (Raft paper 8).
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.sendReadIndexResponse(m);
        return;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.MsgAppResp:
        pr.recentActive = true;
        if (m.reject) {
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) {
            // Skip every entry of ours that cannot match, given the follower's term at its hint.
            nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm);
          }
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
        } else {
          const oldPaused = pr.isPaused();
          if (pr.maybeUpdate(m.index)) {
            if (pr.state === ProgressState.StateProbe) {
              pr.becomeReplicate();
            } else if (
              pr.state === ProgressState.StateSnapshot &&
              pr.match + 1 >= this.raftLog.firstIndex()
            ) {
              // The follower caught up past our compacted prefix; the log can take it from here.
              pr.becomeProbe();
              pr.becomeReplicate();
            } else if (pr.state === ProgressState.StateReplicate) {
              pr.inflights.freeLE(m.index);
            }
            if (this.maybeCommit()) {
              this.releasePendingReadIndexMessages();
              this.bcastAppend();
            } else if (oldPaused) {
              this.sendAppend(m.from);
            }
            // Pipeline: keep sending while the inflight window allows.
            while (this.maybeSendAppend(m.from, false)) {}
            if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
              this.sendTimeoutNow(m.from);
            }
          }
        }
        return;
      case MessageType.MsgHeartbeatResp: {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (m.index > pr.leaseAck) pr.leaseAck = m.index;
        // Probe (or nudge a throttled follower): the answer unblocks a window whose appends were lost.
        if (pr.match < this.raftLog.lastIndex() || pr.state === ProgressState.StateProbe)
          this.sendAppend(m.from);
        if (m.context.length === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks) return;
        if (this.trk.config.voters[0].size === 0) return;
        const votes = new Map<NodeId, boolean>(acks);
        if (this.voteResult(votes) !== VoteResult.VoteWon) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case MessageType.MsgSnapStatus:
        if (pr.state !== ProgressState.StateSnapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing, to give the follower time to apply the snapshot.
        pr.msgAppFlowPaused = true;
        return;
      case MessageType.MsgUnreachable:
        // Optimistic appends were probably lost; go back to probing.
        if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
        return;
      case MessageType.MsgTransferLeader: {
        if (pr.isLearner) return;
        const transferee = m.from;
        if (this.leadTransferee !== None) {
          if (this.leadTransferee === transferee) return;
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return;
        // The transfer must finish within an election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return;
      }
    }
  };

  private voteResult(votes: Map<NodeId, boolean>): VoteResult {
    const c = this.trk.config.voters;
    // Reuse the joint majority rule; the vote map only has acks (true).
    let r1 = majorityOf(c[0], votes);
    const r2 = majorityOf(c[1], votes);
    if (r1 === r2) return r1;
    if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) r1 = VoteResult.VoteLost;
    else r1 = VoteResult.VotePending;
    return r1;
  }

  private stepCandidate = (m: Message): void => {
    const myVoteRespType =
      this.state === StateType.StatePreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
    switch (m.type) {
      case MessageType.MsgProp:
        throw new ErrProposalDropped('raft proposal dropped: no leader');
      case MessageType.MsgApp:
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case myVoteRespType: {
        const res = this.poll(m.from, !m.reject);
        if (res === VoteResult.VoteWon) {
          if (this.state === StateType.StatePreCandidate) {
            this.campaign(CampaignType.Election);
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === VoteResult.VoteLost) {
          // A pre-candidate that lost stays in its term; a candidate stays in its new term.
          this.becomeFollower(this.term, None);
        }
        return;
      }
      case MessageType.MsgTimeoutNow:
        return;
    }
  };

  private stepFollower = (m: Message): void => {
    switch (m.type) {
      case MessageType.MsgProp:
        if (this.lead === None) throw new ErrProposalDropped('raft proposal dropped: no leader');
        if (this.disableProposalForwarding) {
          throw new ErrProposalDropped('raft proposal dropped: proposal forwarding is disabled');
        }
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgApp:
        this.heardFromLeader(m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.MsgTransferLeader:
        if (this.lead === None) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgTimeoutNow:
        // The leader asked us to take over: campaign at once, past any lease.
        this.hup(CampaignType.Transfer);
        return;
      case MessageType.MsgReadIndex:
        if (this.lead === None) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgReadIndexResp:
        if (m.entries.length !== 1) return;
        this.readStates.push({ index: m.index, requestCtx: m.entries[0].data });
        return;
    }
  };

  private heardFromLeader(lead: NodeId): void {
    this.electionElapsed = 0;
    this.leaderContactElapsed = 0;
    this.lead = lead;
  }

  // ---- follower handlers ----

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(message({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const last = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(message({ type: MessageType.MsgAppResp, to: m.from, index: last }));
      return;
    }
    // Reject with a hint: the last index at which our log could match, and its term, so the leader
    // can skip a whole term of mismatching entries per round trip.
    let hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    hintIndex = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    const hintTerm = this.raftLog.termOrUndefined(hintIndex) ?? 0;
    this.send(
      message({
        type: MessageType.MsgAppResp,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: hintTerm,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(
      message({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context, index: m.index }),
    );
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (this.restore(s)) {
      this.send(message({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(message({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader; returns false if it is stale or already covered by our log. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== StateType.StateFollower) {
      // Only a follower gets snapshots; anything else means a bug elsewhere, so step aside safely.
      this.becomeFollower(this.term + 1, None);
      return false;
    }
    const cs = s.metadata.confState;
    const found = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(this.id));
    if (!found) return false;
    // Our log already has the snapshot's last entry: just commit up to it.
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    const r = restoreConfState(this.trk, this.raftLog.lastIndex(), cs);
    this.switchToConfig(r.config, r.progress);
    const pr = this.trk.progress.get(this.id)!;
    pr.maybeUpdate(pr.next - 1);
    return true;
  }

  // ---- reads ----

  private committedEntryInCurrentTerm(): boolean {
    return (this.raftLog.termOrUndefined(this.raftLog.committed) ?? 0) === this.term;
  }

  /** Does the leader lease guarantee no other leader can exist right now? */
  leaseValid(): boolean {
    if (this.state !== StateType.StateLeader || !this.checkQuorum || this.leaseRevoked) return false;
    const ack = jointCommittedIndex(this.trk.config.voters, (id) =>
      id === this.id ? this.tickCount : this.trk.progress.get(id)?.leaseAck,
    );
    return ack + this.electionTimeout - this.leaseMargin > this.tickCount;
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.readOnly.option === ReadOnlyOption.ReadOnlyLeaseBased && this.leaseValid()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    const ctx = m.entries[0].data;
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeatWithCtx(ctx);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === None || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.entries[0].data });
      return;
    }
    this.send(message({ type: MessageType.MsgReadIndexResp, to: req.from, index, entries: req.entries }));
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  // ---- leader transfer ----

  private sendTimeoutNow(to: NodeId): void {
    // From now on another node may win an election at once, so the lease cannot protect reads.
    this.leaseRevoked = true;
    this.send(message({ type: MessageType.MsgTimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = None;
  }

  // ---- membership ----

  applyConfChange(input: ConfChange | ConfChangeV2): ConfState {
    const cc = confChangeAsV2(input);
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let r: { config: TrackerConfig; progress: ProgressMap };
    if (isLeaveJoint(cc)) r = changer.leaveJoint();
    else {
      const j = enterJoint(cc);
      r = j ? changer.enterJoint(j.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(r.config, r.progress);
  }

  private switchToConfig(cfg: TrackerConfig, prs: ProgressMap): ConfState {
    this.trk.config = cfg;
    this.trk.progress = prs;
    const cs = this.trk.confState();
    const pr = prs.get(this.id);
    this.isLearner = pr?.isLearner ?? false;
    if ((!pr || this.isLearner) && this.state === StateType.StateLeader) {
      // We were removed (or demoted): hand over to the most up-to-date voter and step down, so the
      // cluster does not wait an election timeout for a new leader.
      let best: NodeId = None;
      let bestMatch = -1;
      for (const id of [...this.trk.voterIds()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const p = prs.get(id);
        if (id !== this.id && p && p.match > bestMatch) {
          best = id;
          bestMatch = p.match;
        }
      }
      if (best !== None && bestMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
      this.becomeFollower(this.term, None);
      return cs;
    }
    if (this.state !== StateType.StateLeader || cs.voters.length === 0) return cs;
    // The quorum may have changed: commit what the new quorum has, and probe new members.
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== None && !this.trk.voterIds().has(this.leadTransferee))
      this.abortLeaderTransfer();
    return cs;
  }

  /** Called when the application applied entries up to `applied`: leaves an auto-leave joint config. */
  afterApplied(applied: number): void {
    if (
      this.trk.config.autoLeave &&
      applied >= this.pendingConfIndex &&
      this.state === StateType.StateLeader
    ) {
      // Propose the empty change that leaves the joint config; it is the one conf change allowed now.
      const e: Entry = {
        term: 0,
        index: 0,
        type: EntryType.EntryConfChangeV2,
        data: encodeConfChangeV2({ transition: 0, changes: [], context: EMPTY }),
      };
      try {
        this.step(message({ type: MessageType.MsgProp, from: this.id, entries: [e] }));
      } catch (err) {
        if (!(err instanceof ErrProposalDropped)) throw err;
      }
    }
  }

  // ---- status ----

  basicStatus(): BasicStatus {
    return {
      id: this.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: this.raftLog.applied,
      leadTransferee: this.leadTransferee,
    };
  }

  status(): Status {
    const progress = new Map<
      NodeId,
      { match: number; next: number; state: ProgressState; isLearner: boolean }
    >();
    if (this.state === StateType.StateLeader) {
      this.trk.visit((id, pr) => {
        progress.set(id, { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner });
      });
    }
    return { ...this.basicStatus(), config: this.trk.config, progress };
  }
}

function majorityOf(voters: Set<NodeId>, votes: Map<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.VoteWon;
  let granted = 0;
  for (const id of voters) if (votes.get(id)) granted++;
  if (granted >= Math.floor(voters.size / 2) + 1) return VoteResult.VoteWon;
  return VoteResult.VotePending;
}

// The application's handle on a raft node: feed it input, take a Ready of output, then advance().
import { encodeConfChange, encodeConfChangeV2 } from './codec.js';
import { ErrProposalDropped, ErrStepLocalMsg, ErrStepPeerNotFound, RaftError } from './errors.js';
import { type BasicStatus, type Config, Raft, type Status } from './raft.js';
import {
  type ConfChange,
  ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  EMPTY,
  type Entry,
  EntryType,
  emptyHardState,
  type HardState,
  hardStateEqual,
  isEmptyHardState,
  isLocalMsg,
  isResponseMsg,
  type Message,
  MessageType,
  message,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
} from './types.js';

/**
 * Everything a node needs the application to do, in this order: persist `hardState`, `entries` and
 * `snapshot` (durably when `mustSync`), then send `messages`, then apply `snapshot` and
 * `committedEntries` to the state machine, then call advance(). committedEntries may include entries
 * from `entries` of the same Ready, so persist before applying.
 */
export interface Ready {
  /** Leader or role changed; not persisted. */
  softState?: SoftState;
  /** Term, vote or commit changed; persist it. */
  hardState?: HardState;
  /** Answers to readIndex requests. */
  readStates: ReadState[];
  /** New log entries to persist (they may replace a suffix of the persisted log). */
  entries: Entry[];
  /** A snapshot from the leader to persist and install. */
  snapshot?: Snapshot;
  /** Entries committed by a quorum, to apply in order. */
  committedEntries: Entry[];
  /** Messages to send to peers, after the above is persisted. */
  messages: Message[];
  /** Whether hardState and entries must reach disk (fsync) before messages are sent. */
  mustSync: boolean;
}

export interface Peer {
  id: NodeId;
  context?: Uint8Array;
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.raftState === b.raftState;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftSt: SoftState;
  private prevHardSt: HardState;
  private outstanding: Ready | undefined;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoftSt = this.raft.softState();
    this.prevHardSt = this.raft.hardState();
  }

  /**
   * Starts a brand-new cluster's log with one AddNode change per peer, committed at term 1. Only for an
   * empty storage; every member of a new cluster bootstraps with the same peer list.
   */
  bootstrap(peers: Peer[]): void {
    if (peers.length === 0) throw new RaftError('must provide at least one peer to Bootstrap');
    if (this.raft.raftLog.storage.lastIndex() !== 0)
      throw new RaftError("can't bootstrap a nonempty Storage");
    // Nothing is persisted yet: the first Ready must carry the hard state.
    this.prevHardSt = emptyHardState();
    this.raft.becomeFollower(1, 0n);
    const ents: Entry[] = peers.map((p, i) => ({
      type: EntryType.EntryConfChange,
      term: 1,
      index: i + 1,
      data: encodeConfChange({
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: p.id,
        context: p.context ?? EMPTY,
        id: 0,
      }),
    }));
    this.raft.raftLog.append(ents);
    // Apply them now so the node can campaign at once; the application applies them again from
    // committedEntries, which is harmless (adding a present voter changes nothing).
    this.raft.raftLog.committed = ents.length;
    for (const p of peers) {
      this.raft.applyConfChange({
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: p.id,
        context: EMPTY,
        id: 0,
      });
    }
  }

  /** Advances the logical clock by one tick (elections and heartbeats are counted in ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now instead of waiting for the election timeout. */
  campaign(): void {
    this.raft.step(message({ type: MessageType.MsgHup }));
  }

  /** Proposes data to be appended to the log. Throws ErrProposalDropped when it cannot be. */
  propose(data: Uint8Array): void {
    this.proposeEntries([{ term: 0, index: 0, type: EntryType.EntryNormal, data }]);
  }

  /** Proposes several entries at once; they are appended together (all or none). */
  proposeBatch(datas: Uint8Array[]): void {
    if (datas.length === 0) return;
    this.proposeEntries(datas.map((data) => ({ term: 0, index: 0, type: EntryType.EntryNormal, data })));
  }

  /** Proposes a membership change; apply it with applyConfChange once it comes back committed. */
  proposeConfChange(cc: ConfChange | ConfChangeV2): void {
    const e: Entry =
      'changes' in cc
        ? { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(cc) }
        : { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) };
    this.proposeEntries([e]);
  }

  private proposeEntries(entries: Entry[]): void {
    this.raft.step(message({ type: MessageType.MsgProp, from: this.raft.id, entries }));
  }

  /** Applies a committed membership change to the configuration and returns the new ConfState. */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message from a peer. Local message types are refused; responses from unknown peers are
   * refused; a forwarded proposal that cannot be accepted is dropped silently (its proposer times out).
   */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new ErrStepLocalMsg();
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) throw new ErrStepPeerNotFound();
    try {
      this.raft.step(m);
    } catch (e) {
      if (m.type === MessageType.MsgProp && e instanceof ErrProposalDropped) return;
      throw e;
    }
  }

  /**
   * Asks for a linearizable read point. The answer arrives as a ReadState carrying ctx: once the
   * application has applied up to its index, reading local state is linearizable. Requests are dropped
   * silently when no leader is known; retry after a timeout.
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(
      message({
        type: MessageType.MsgReadIndex,
        entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: ctx }],
      }),
    );
  }

  /** Asks the leader to hand leadership to transferee (once its log is up to date). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(message({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /** Tells the leader that the last message to id could not be delivered. */
  reportUnreachable(id: NodeId): void {
    try {
      this.raft.step(message({ type: MessageType.MsgUnreachable, from: id }));
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
    }
  }

  /** Tells the leader whether the snapshot sent to id was installed (ok) or failed. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: MessageType.MsgSnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    r.flushAppends();
    if (!softStateEqual(r.softState(), this.prevSoftSt)) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardSt)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.raftLog.hasNextCommittedEnts())
      return true;
    return r.readStates.length > 0;
  }

  /** Takes the pending output. Call advance() after handling it and before the next ready(). */
  ready(): Ready {
    if (this.outstanding) throw new RaftError('ready() called again before advance()');
    const r = this.raft;
    const messages = r.takeMessages();
    const entries = r.raftLog.unstableEntries().slice();
    const rd: Ready = {
      entries,
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages,
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (!softStateEqual(ss, this.prevSoftSt)) {
      rd.softState = ss;
      this.prevSoftSt = ss;
    }
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardSt)) rd.hardState = hs;
    const snap = r.raftLog.nextUnstableSnapshot();
    if (snap) rd.snapshot = snap;
    rd.mustSync =
      entries.length > 0 ||
      snap !== undefined ||
      (rd.hardState !== undefined &&
        (rd.hardState.term !== this.prevHardSt.term || rd.hardState.vote !== this.prevHardSt.vote));
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** Marks the last Ready as persisted, sent and applied. */
  advance(): void {
    const rd = this.outstanding;
    if (!rd) throw new RaftError('advance() called without a ready()');
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.hardState) this.prevHardSt = rd.hardState;
    // The newest written entry still in the log marks the stable prefix; entries replaced while the
    // write was in flight (same index, other term) stay unstable and come again in the next Ready.
    for (let i = rd.entries.length - 1; i >= 0; i--) {
      const e = rd.entries[i];
      if (r.raftLog.unstable.maybeTerm(e.index) === e.term) {
        r.raftLog.stableTo(e.index, e.term);
        break;
      }
    }
    if (rd.snapshot) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
    let applied = 0;
    if (rd.committedEntries.length > 0) applied = rd.committedEntries[rd.committedEntries.length - 1].index;
    else if (rd.snapshot) applied = rd.snapshot.metadata.index;
    if (applied > 0) {
      r.raftLog.appliedTo(applied);
      r.reduceUncommittedSize(rd.committedEntries);
      r.afterApplied(applied);
    }
  }

  status(): Status {
    return this.raft.status();
  }

  basicStatus(): BasicStatus {
    return this.raft.basicStatus();
  }
}

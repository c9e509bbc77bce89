import {
  type Entry,
  EntryType,
  type HardState,
  isEmptySnapshot,
  type MemoryStorage,
  type Message,
  MessageType,
  type RawNode,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateType,
} from '@kv/raft';
import type { Wal } from '../wal/wal.js';

export interface RaftNodeHandlers {
  /** Sends one raft message to a peer (the transport batches per tick). */
  send(m: Message): void;
  /** Writes the messages sent so far to the network now (before the loop waits on the disk). */
  flush?(): void;
  /** Leader or role changed. */
  onSoftState(ss: SoftState): void;
  /** Answers to readIndex requests. */
  onReadStates(rs: ReadState[]): void;
  /** Persists a snapshot from the leader (snapshot files) before the WAL records it. */
  saveSnapshot(snap: Snapshot): Promise<void>;
  /** Applies a snapshot and then committed entries in order; resolves once applied. */
  apply(snapshot: Snapshot | undefined, entries: Entry[]): Promise<void> | void;
  /** A fatal error (the WAL failed): the member must stop. */
  onFatal(err: Error): void;
}

/**
 * etcd's raftNode: drives a RawNode. Ticks every heartbeat interval; for each Ready it persists entries
 * and hard state to the WAL with one fdatasync, then sends messages, applies committed entries, and
 * advances. Everything proposed while an fsync runs lands in the next Ready: that is the group commit.
 *
 * Applying is pipelined as etcd's apply stage is: once a Ready's entries are durable, raft advances and
 * its committed entries wait; if another Ready is already there, its WAL write and fsync start first
 * and the waiting entries are applied while the disk syncs. An entry is never applied before this
 * member's WAL holds it. Membership changes and snapshots are applied in place, before advance().
 */
export class RaftNode {
  private ticker: NodeJS.Timeout | undefined;
  private running = false;
  private kicked = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** Committed entries whose Ready is done (persisted, advanced) but not yet applied. */
  private deferred: Entry[] | undefined;
  lead = 0n;
  role: StateType = StateType.StateFollower;

  constructor(
    readonly rawNode: RawNode,
    readonly storage: MemoryStorage,
    readonly wal: Wal<Entry, HardState>,
    private readonly handlers: RaftNodeHandlers,
    private readonly tickMs: number,
  ) {}

  start(): void {
    this.ticker = setInterval(() => {
      this.rawNode.tick();
      this.kick();
    }, this.tickMs);
    this.kick();
  }

  get isLeader(): boolean {
    return this.role === StateType.StateLeader;
  }

  /** Schedules a pass over the RawNode's output; call after anything that may produce some. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.kicked = true;
      return;
    }
    this.running = true;
    this.idle = new Promise((r) => (this.markIdle = r));
    setImmediate(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      for (let guard = 0; guard < 1_000_000 && !this.stopped; guard++) {
        this.kicked = false;
        if (!this.rawNode.hasReady()) {
          if (this.deferred) {
            await this.applyDeferred();
            continue;
          }
          if (!this.kicked) break;
          continue;
        }
        await this.handleReady();
      }
      if (this.deferred && !this.stopped) await this.applyDeferred();
    } catch (err) {
      this.stopped = true;
      this.handlers.onFatal(err as Error);
    } finally {
      this.running = false;
      this.markIdle();
    }
  }

  private applyDeferred(): Promise<void> | void {
    const entries = this.deferred!;
    this.deferred = undefined;
    return this.handlers.apply(undefined, entries);
  }

  private async handleReady(): Promise<void> {
    const rd = this.rawNode.ready();
    if (rd.softState) {
      this.lead = rd.softState.lead;
      this.role = rd.softState.raftState;
      this.handlers.onSoftState(rd.softState);
    }
    if (rd.readStates.length > 0) this.handlers.onReadStates(rd.readStates);
    // A leader may send appends while it writes them itself (Raft thesis 10.2.1); followers must not
    // acknowledge anything before it is on disk.
    const leaderFirst = this.isLeader;
    if (leaderFirst) this.sendAll(rd.messages);
    const hasSnap = rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot);
    if (hasSnap) {
      if (this.deferred) await this.applyDeferred();
      await this.handlers.saveSnapshot(rd.snapshot!);
      await this.wal.saveSnapshot({ index: rd.snapshot!.metadata.index, term: rd.snapshot!.metadata.term });
    }
    const saved = this.wal.save(rd.hardState, rd.entries, rd.mustSync);
    // The previous Ready's entries are durable: apply them while this one's fsync runs.
    if (this.deferred) await this.applyDeferred();
    await saved;
    if (hasSnap) this.storage.applySnapshot(rd.snapshot!);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (!leaderFirst) this.sendAll(rd.messages);
    if (hasSnap || rd.committedEntries.some((e) => e.type !== EntryType.EntryNormal)) {
      await this.handlers.apply(hasSnap ? rd.snapshot : undefined, rd.committedEntries);
    } else if (rd.committedEntries.length > 0) {
      this.deferred = rd.committedEntries;
    }
    this.rawNode.advance();
  }

  private sendAll(msgs: Message[]): void {
    if (msgs.length === 0) return;
    for (const m of msgs) {
      if (m.to === this.rawNode.raft.id) continue;
      this.handlers.send(m);
    }
    this.handlers.flush?.();
  }

  /** Feeds a message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    try {
      this.rawNode.step(m);
    } catch {
      // Messages from unknown peers or stale responses: raft refuses them, nothing to do.
      return;
    }
    this.kick();
  }

  /** Waits until the current pass over Ready output is done. */
  settled(): Promise<void> {
    return this.idle;
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.stopped = true;
    await this.idle;
  }

  static isVoteMessage(t: MessageType): boolean {
    return t === MessageType.MsgVote || t === MessageType.MsgPreVote;
  }
}

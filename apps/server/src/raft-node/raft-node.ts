import {
  type Entry,
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
 */
export class RaftNode {
  private ticker: NodeJS.Timeout | undefined;
  private running = false;
  private kicked = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
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
          if (!this.kicked) break;
          continue;
        }
        await this.handleReady();
      }
    } catch (err) {
      this.stopped = true;
      this.handlers.onFatal(err as Error);
    } finally {
      this.running = false;
      this.markIdle();
    }
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
      await this.handlers.saveSnapshot(rd.snapshot!);
      await this.wal.saveSnapshot({ index: rd.snapshot!.metadata.index, term: rd.snapshot!.metadata.term });
    }
    await this.wal.save(rd.hardState, rd.entries, rd.mustSync);
    if (hasSnap) this.storage.applySnapshot(rd.snapshot!);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (!leaderFirst) this.sendAll(rd.messages);
    if (hasSnap || rd.committedEntries.length > 0) {
      await this.handlers.apply(hasSnap ? rd.snapshot : undefined, rd.committedEntries);
    }
    this.rawNode.advance();
  }

  private sendAll(msgs: Message[]): void {
    for (const m of msgs) {
      if (m.to === this.rawNode.raft.id) continue;
      this.handlers.send(m);
    }
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

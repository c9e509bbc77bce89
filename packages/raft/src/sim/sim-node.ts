// One simulated member: a RawNode, its "disk" (a MemoryStorage holding only what was persisted) and a
// state machine that records which entry it applied at each index.
import { decodeEntryConfChange } from '../codec.js';
import type { Config } from '../raft.js';
import { RawNode, type Ready } from '../raw-node.js';
import { MemoryStorage } from '../storage.js';
import {
  type ConfState,
  EntryType,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
} from '../types.js';

/**
 * The disk of a simulated node. Like etcd's server, it hands raft a fresh snapshot of the applied state
 * when one is needed for a follower, rather than an old one that may predate the follower's membership.
 */
export class SimDisk extends MemoryStorage {
  onSnapshot?: () => void;

  override snapshot(): Snapshot {
    this.onSnapshot?.();
    return super.snapshot();
  }

  storedSnapshot(): Snapshot {
    return super.snapshot();
  }
}

export type NodeOptions = Omit<Config, 'id' | 'storage' | 'applied'>;

/** What each entry is known by in the checks: its term, index and payload. */
export function entryKey(term: number, index: number, data: Uint8Array): string {
  return `${term}/${index}/${Buffer.from(data).toString('latin1')}`;
}

export class SimNode {
  readonly id: NodeId;
  readonly disk: SimDisk;
  raw: RawNode;
  /** sm[i] is the key of the entry applied at index i+1. */
  sm: string[] = [];
  appliedIndex = 0;
  confState: ConfState;
  /** The conf state after each applied index where it changed, to snapshot at an older index. */
  private confHistory: { index: number; cs: ConfState }[] = [];
  readStates: ReadState[] = [];
  up = true;
  /** Crash in the middle of the next Ready, after persisting it. */
  crashAfterPersist = false;
  /** Finish each Ready (send, apply, advance) a round after persisting it, stepping messages meanwhile. */
  asyncPersist = false;
  private pending: Ready | undefined;

  constructor(
    id: NodeId,
    disk: SimDisk,
    readonly options: NodeOptions,
  ) {
    this.id = id;
    this.disk = disk;
    disk.onSnapshot = () => {
      if (this.appliedIndex > this.disk.storedSnapshot().metadata.index) this.snapshotAt(this.appliedIndex);
    };
    this.confState = disk.initialState().confState;
    this.raw = this.start();
  }

  private start(): RawNode {
    const snap = this.disk.snapshot();
    this.sm =
      snap.metadata.index > 0 ? (JSON.parse(Buffer.from(snap.data).toString('latin1')) as string[]) : [];
    this.appliedIndex = snap.metadata.index;
    this.confState = this.disk.initialState().confState;
    this.confHistory = [{ index: snap.metadata.index, cs: this.confState }];
    return new RawNode({ ...this.options, id: this.id, storage: this.disk, applied: snap.metadata.index });
  }

  /** Loses everything not on disk and starts again from it. */
  restart(random?: () => number): void {
    if (random) (this.options as { random?: () => number }).random = random;
    this.readStates = [];
    this.pending = undefined;
    this.raw = this.start();
    this.up = true;
  }

  /**
   * Handles one Ready: persist, send (via `send`), apply (reporting each applied entry to `onApply`).
   * Returns false when there was nothing to do.
   */
  handleReady(
    send: (m: Message) => void,
    onApply: (n: SimNode, index: number, key: string) => void,
  ): boolean {
    if (this.pending) {
      const rd = this.pending;
      this.pending = undefined;
      this.finishReady(rd, send, onApply);
      return true;
    }
    if (!this.raw.hasReady()) return false;
    const rd: Ready = this.raw.ready();
    if (rd.snapshot) this.disk.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) this.disk.append(rd.entries);
    if (rd.hardState) this.disk.setHardState(rd.hardState);
    if (this.crashAfterPersist) {
      // Power loss right after the fsync: nothing sent, nothing applied, the in-memory node is gone.
      this.crashAfterPersist = false;
      this.up = false;
      return true;
    }
    // Asynchronous storage: the rest happens in a later round, and messages may be stepped meanwhile.
    if (this.asyncPersist) this.pending = rd;
    else this.finishReady(rd, send, onApply);
    return true;
  }

  private finishReady(
    rd: Ready,
    send: (m: Message) => void,
    onApply: (n: SimNode, index: number, key: string) => void,
  ): void {
    for (const m of rd.messages) send(m);
    if (rd.snapshot) {
      this.sm = JSON.parse(Buffer.from(rd.snapshot.data).toString('latin1')) as string[];
      this.appliedIndex = rd.snapshot.metadata.index;
      this.confState = rd.snapshot.metadata.confState;
      this.confHistory = [{ index: this.appliedIndex, cs: this.confState }];
    }
    for (const e of rd.committedEntries) {
      if (e.index <= this.appliedIndex) continue;
      if (e.index !== this.appliedIndex + 1)
        throw new Error(`node ${this.id} applies ${e.index} after ${this.appliedIndex}`);
      const key = entryKey(e.term, e.index, e.type === EntryType.EntryNormal ? e.data : new Uint8Array(0));
      this.sm[e.index - 1] = key;
      if (e.type !== EntryType.EntryNormal) {
        this.confState = this.raw.applyConfChange(decodeEntryConfChange(e));
        this.confHistory.push({ index: e.index, cs: this.confState });
      }
      // Only now: a snapshot taken while the change was applied must not claim this index.
      this.appliedIndex = e.index;
      onApply(this, e.index, key);
    }
    for (const rs of rd.readStates) this.readStates.push(rs);
    this.raw.advance();
  }

  /** Records a snapshot of the state machine as of index upto (<= applied). */
  private snapshotAt(upto: number): void {
    const sm = this.sm.slice(0, upto);
    let cs = this.confHistory[0].cs;
    for (const h of this.confHistory) if (h.index <= upto) cs = h.cs;
    this.confHistory = this.confHistory.filter((h) => h.index >= upto);
    this.confHistory.unshift({ index: upto, cs });
    this.disk.createSnapshot(upto, cs, Buffer.from(JSON.stringify(sm), 'latin1'));
  }

  /** Snapshots the state machine and drops the log before it, keeping the last `keep` applied entries. */
  compact(keep: number): boolean {
    const upto = this.appliedIndex - keep;
    if (upto <= this.disk.firstIndex()) return false;
    if (upto > this.disk.storedSnapshot().metadata.index) this.snapshotAt(upto);
    this.disk.compact(upto);
    return true;
  }
}

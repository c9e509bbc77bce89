// The Storage interface raft reads its stable log from, and MemoryStorage, an in-memory implementation.
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
import {
  type ConfState,
  EMPTY,
  type Entry,
  EntryType,
  emptyHardState,
  emptySnapshot,
  type HardState,
  limitSize,
  type Snapshot,
} from './types.js';

/**
 * What raft needs from stable storage. Methods throw ErrCompacted / ErrUnavailable when an index is out
 * of range, and snapshot() may throw ErrSnapshotTemporarilyUnavailable.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxSize bytes but always at least one entry when any is in range. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of the entry at index i; i may be firstIndex()-1 (the snapshot's term). */
  term(i: number): number;
  lastIndex(): number;
  firstIndex(): number;
  snapshot(): Snapshot;
}

/** An in-memory Storage. The application appends what each Ready asks it to persist. */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  // ents[0] is a dummy holding the index and term of the last compacted entry.
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY }];

  /** A fresh storage; a ConfState makes it a member of that configuration from the start (no bootstrap). */
  constructor(confState?: ConfState) {
    if (confState) this.snap = { ...this.snap, metadata: { ...this.snap.metadata, confState } };
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0].index;
    if (lo <= offset) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1) {
      throw new Error(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new ErrUnavailable();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0].index;
    if (i < offset) throw new ErrCompacted();
    if (i - offset >= this.ents.length) throw new ErrUnavailable();
    return this.ents[i - offset].term;
  }

  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0].index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the contents with the snapshot (a follower installing one from its leader). */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw new ErrSnapOutOfDate();
    this.snap = snap;
    this.ents = [
      { term: snap.metadata.term, index: snap.metadata.index, type: EntryType.EntryNormal, data: EMPTY },
    ];
  }

  /** Records a snapshot of the state machine at applied index i (i must be in the log). */
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    const offset = this.ents[0].index;
    if (i > this.lastIndex()) throw new Error(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    this.snap = {
      data,
      metadata: {
        index: i,
        term: this.ents[i - offset].term,
        confState: cs ?? this.snap.metadata.confState,
      },
    };
    return this.snap;
  }

  /** Discards entries up to and including compactIndex; the application snapshots first. */
  compact(compactIndex: number): void {
    const offset = this.ents[0].index;
    if (compactIndex <= offset) throw new ErrCompacted();
    if (compactIndex > this.lastIndex()) {
      throw new Error(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const first: Entry = {
      term: this.ents[i].term,
      index: this.ents[i].index,
      type: EntryType.EntryNormal,
      data: EMPTY,
    };
    this.ents = [first, ...this.ents.slice(i + 1)];
  }

  /** Appends entries, replacing any existing suffix they overlap (a new leader overwrote it). */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return; // all compacted already
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    const offset = entries[0].index - this.ents[0].index;
    if (offset > this.ents.length) {
      throw new Error(`missing log entry [last: ${this.lastIndex()}, append at: ${entries[0].index}]`);
    }
    if (offset < this.ents.length) this.ents.length = offset;
    for (const e of entries) this.ents.push(e);
  }
}

// The raft log: the stable part in Storage followed by the unstable part in memory, plus the commit and
// apply cursors.
import { ErrCompacted, ErrUnavailable } from './errors.js';
import { Unstable } from './log-unstable.js';
import type { Storage } from './storage.js';
import { type Entry, limitSize, type Snapshot } from './types.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be committed by a quorum. */
  committed: number;
  /** Highest index the application has applied. Always applied <= committed. */
  applied: number;
  /** Size limit of the committed entries handed out in one Ready. */
  readonly maxNextCommittedEntsSize: number;

  constructor(storage: Storage, maxNextCommittedEntsSize = Number.MAX_SAFE_INTEGER) {
    this.storage = storage;
    this.maxNextCommittedEntsSize = maxNextCommittedEntsSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends ents after (index, logTerm) if that entry matches ours; returns the last new index, or
   * undefined when it does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewI = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed)
        throw new Error(`entry ${ci} conflict with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNewI));
    return lastNewI;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed)
      throw new Error(`after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in ents that is missing from or conflicts with our log, or 0 when all
   * are already present. Entries must be contiguous.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term, for the fast backtracking of a rejected append:
   * every entry after it has a term above `term`, so it cannot match the other log there.
   */
  findConflictByTerm(index: number, term: number): number {
    for (; index > 0; index--) {
      const t = this.termOrUndefined(index);
      if (t === undefined || t <= term) return index;
    }
    return 0;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries ready to be applied, limited in size. */
  nextCommittedEnts(): Entry[] {
    const off = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > off) return this.slice(off, this.committed + 1, this.maxNextCommittedEntsSize);
    return [];
  }

  hasNextCommittedEnts(): boolean {
    const off = Math.max(this.applied + 1, this.firstIndex());
    return this.committed + 1 > off;
  }

  /** The pending snapshot from the leader, not yet persisted. */
  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.snapshot;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    if (this.unstable.snapshot) return this.unstable.snapshot;
    return this.storage.snapshot();
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: number): void {
    // Never decrease the commit index.
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new Error(`tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]`);
      }
      this.committed = toCommit;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new Error(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): number {
    return this.termOrUndefined(this.lastIndex()) ?? 0;
  }

  /** The term of entry i; throws ErrCompacted / ErrUnavailable outside the log. */
  term(i: number): number {
    const t = this.termOrUndefined(i);
    if (t === undefined) throw i < this.firstIndex() - 1 ? new ErrCompacted() : new ErrUnavailable();
    return t;
  }

  /** The term of entry i, or undefined when it is not in the log (compacted or beyond the end). */
  termOrUndefined(i: number): number | undefined {
    // The valid range is [index of the dummy entry, last index]; checked first, as misses are common.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof ErrCompacted || e instanceof ErrUnavailable) return undefined;
      throw e;
    }
  }

  /** Entries from i on, at most maxSize bytes (always at least one). */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Number.MAX_SAFE_INTEGER);
  }

  /** Is a log ending at (lasti, term) at least as up to date as ours (Raft paper 5.4.1)? */
  isUpToDate(lasti: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lasti >= this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    const t = this.termOrUndefined(i);
    return t !== undefined && t === term;
  }

  /** Commits maxIndex if it holds an entry of the current term (Raft paper 5.4.2, figure 8). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && (this.termOrUndefined(maxIndex) ?? 0) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), at most maxSize bytes; throws ErrCompacted when lo was compacted. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const stored = this.storage.entries(lo, Math.min(hi, this.unstable.offset), maxSize);
      // Storage returned fewer entries than asked for because of the size limit.
      if (stored.length < Math.min(hi, this.unstable.offset) - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const un = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(un) : un;
    }
    return limitSize(ents, maxSize);
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new Error(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new ErrCompacted();
    const length = this.lastIndex() + 1 - fi;
    if (hi > fi + length) throw new Error(`slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}

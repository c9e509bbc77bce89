// The history of one key: generations of revisions. A generation runs from a creation to a
// delete (its last revision is then the tombstone); the last generation is the live one and is
// empty when the key is currently deleted.
import type { Revision } from './revision';

const EMPTY_REVS: number[] = [];

export class Generation {
  /** Version of the key at the newest revision of this generation. */
  ver = 0;
  createdMain = 0;
  /** Revisions, oldest first, flattened as [main, sub, main, sub, ...] to save objects. */
  revs: number[] = EMPTY_REVS;

  get length(): number {
    return this.revs.length >> 1;
  }

  isEmpty(): boolean {
    return this.revs.length === 0;
  }

  main(i: number): number {
    return this.revs[i * 2];
  }

  sub(i: number): number {
    return this.revs[i * 2 + 1];
  }

  /**
   * Appends a revision. Short histories get exact-size arrays: V8 grows a pushed array to 17+
   * slots, which at a million keys with one or two revisions each is most of the index's memory.
   */
  append(main: number, sub: number): void {
    const r = this.revs;
    if (r.length < 16) {
      const next = new Array<number>(r.length + 2);
      for (let i = 0; i < r.length; i++) next[i] = r[i];
      next[r.length] = main;
      next[r.length + 1] = sub;
      this.revs = next;
    } else r.push(main, sub);
  }

  /** Index of the newest revision whose main is <= rev, or -1. */
  newestAtOrBefore(rev: number): number {
    for (let i = this.length - 1; i >= 0; i--) if (this.revs[i * 2] <= rev) return i;
    return -1;
  }
}

export interface KeyAt {
  modMain: number;
  modSub: number;
  createMain: number;
  version: number;
}

export class KeyIndex {
  generations: Generation[] = [new Generation()];

  constructor(readonly key: string) {}

  put(main: number, sub: number): void {
    const g = this.generations[this.generations.length - 1];
    if (g.isEmpty()) {
      g.createdMain = main;
    }
    g.append(main, sub);
    g.ver++;
  }

  /** Replays a stored put on open: creation and version come from the record itself. */
  restore(main: number, sub: number, createMain: number, version: number): void {
    const g = this.generations[this.generations.length - 1];
    if (g.isEmpty()) {
      g.createdMain = createMain;
    }
    g.append(main, sub);
    g.ver = version;
  }

  /** Records a delete: the revision ends the live generation. False if the key is not live. */
  tombstone(main: number, sub: number): boolean {
    if (this.generations[this.generations.length - 1].isEmpty()) return false;
    this.put(main, sub);
    this.generations.push(new Generation());
    return true;
  }

  isLive(): boolean {
    return !this.generations[this.generations.length - 1].isEmpty();
  }

  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0].isEmpty();
  }

  /** The generation that holds the key's state at `rev`, or undefined if the key did not exist then. */
  private findGeneration(rev: number): Generation | undefined {
    const last = this.generations.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.generations[i];
      if (g.isEmpty()) continue;
      // a closed generation ended (tombstone) at or before rev: the key was deleted at rev
      if (i !== last && g.main(g.length - 1) <= rev) return undefined;
      if (g.main(0) <= rev) return g;
    }
    return undefined;
  }

  /** The key's revision, creation and version as of `rev`, or undefined if absent then. */
  get(rev: number): KeyAt | undefined {
    const g = this.findGeneration(rev);
    if (g === undefined) return undefined;
    const n = g.newestAtOrBefore(rev);
    if (n < 0) return undefined;
    return {
      modMain: g.main(n),
      modSub: g.sub(n),
      createMain: g.createdMain,
      version: g.ver - (g.length - 1 - n),
    };
  }

  /**
   * Drops history older than `rev`: keeps, per generation that is still visible at `rev`, the
   * newest revision <= rev (added to `keep`) unless that revision is a tombstone.
   */
  compact(rev: number, keep: Set<string> | undefined): void {
    let gi = 0;
    // skip generations that were closed (tombstoned) at or before rev
    while (gi < this.generations.length - 1) {
      const g = this.generations[gi];
      if (g.main(g.length - 1) > rev) break;
      gi++;
    }
    const g = this.generations[gi];
    if (!g.isEmpty()) {
      const n = g.newestAtOrBefore(rev);
      if (n >= 0) {
        keep?.add(revisionId(g.main(n), g.sub(n)));
        if (n > 0) g.revs = g.revs.slice(n * 2);
      }
      // a generation reduced to its tombstone is gone entirely
      if (g.length === 1 && gi !== this.generations.length - 1 && g.main(0) <= rev) {
        keep?.delete(revisionId(g.main(0), g.sub(0)));
        gi++;
      }
    }
    if (gi > 0) this.generations = this.generations.slice(gi);
  }

  /** Revisions of this key with main > rev, oldest first (used by tests and diagnostics). */
  revisionsSince(rev: number): Revision[] {
    const out: Revision[] = [];
    for (const g of this.generations)
      for (let i = 0; i < g.length; i++) if (g.main(i) > rev) out.push({ main: g.main(i), sub: g.sub(i) });
    return out;
  }
}

/** A compact identity for a revision, used for the set of revisions compaction must keep. */
export function revisionId(main: number, sub: number): string {
  return `${main}_${sub}`;
}

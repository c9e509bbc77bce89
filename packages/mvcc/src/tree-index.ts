// The in-memory index: every key's KeyIndex, ordered by key bytes. Keys are latin1 strings, whose
// order is byte order. Point lookups go through a hash map (string comparison is a runtime call
// in V8, so binary searches are paid only when a key is created or a range starts). Order lives in
// a two-level sorted structure: leaves of at most LEAF_MAX keys, located by binary search over
// each leaf's first key; an insert moves at most a leaf plus the leaf directory, and a range scan
// walks leaves in order. At 1M keys that is ~4k leaves.
import { type KeyAt, KeyIndex } from './key-index';

const LEAF_MAX = 256;

/** Upper bound meaning "no end": greater than every latin1 string. */
export const NO_END = '\uffff';

export interface IndexHit extends KeyAt {
  ki: KeyIndex;
}

/** A run of keys in order. Its live-key count sits in the index's `counts` at `pos`. */
export class Leaf {
  pos = 0;
  constructor(public keys: KeyIndex[]) {}
}

export class TreeIndex {
  private leaves: Leaf[] = [new Leaf([])];
  private firsts: string[] = [''];
  private byKey = new Map<string, KeyIndex>();
  /**
   * Live keys per leaf, contiguous so a count at the head revision sums thousands of leaves in a
   * few microseconds instead of visiting each leaf object.
   */
  private counts = new Int32Array(64);

  get size(): number {
    return this.byKey.size;
  }

  /** Keys live at the head revision (etcd's keys_total), summed from the per-leaf counts. */
  liveCount(): number {
    let n = 0;
    for (let i = 0; i < this.leaves.length; i++) n += this.counts[i]!;
    return n;
  }

  /** Leaf that would hold `key`: the last leaf whose first key is <= key. */
  private leafFor(key: string): number {
    const f = this.firsts;
    let lo = 0;
    let hi = f.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (f[mid] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** First position in leaf with key >= `key`. */
  private static lowerBound(keys: KeyIndex[], key: string): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid].key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  private findOrCreate(key: string): KeyIndex {
    let ki = this.byKey.get(key);
    if (ki !== undefined) return ki;
    ki = new KeyIndex(key);
    this.byKey.set(key, ki);
    const li = this.leafFor(key);
    const leaf = this.leaves[li];
    const i = TreeIndex.lowerBound(leaf.keys, key);
    leaf.keys.splice(i, 0, ki);
    ki.leaf = leaf;
    if (i === 0 && li > 0) this.firsts[li] = key;
    if (leaf.keys.length > LEAF_MAX) {
      const right = new Leaf(leaf.keys.splice(LEAF_MAX >> 1));
      for (const k of right.keys) k.leaf = right;
      this.leaves.splice(li + 1, 0, right);
      this.firsts.splice(li + 1, 0, right.keys[0].key);
      const n = this.leaves.length;
      if (n > this.counts.length) {
        const grown = new Int32Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
      this.counts.copyWithin(li + 2, li + 1, n - 1);
      for (let j = li + 1; j < n; j++) this.leaves[j].pos = j;
      this.counts[li] = countLive(leaf.keys);
      this.counts[li + 1] = countLive(right.keys);
    }
    return ki;
  }

  put(key: string, main: number, sub: number): KeyIndex {
    const ki = this.findOrCreate(key);
    if (!ki.live) this.counts[(ki.leaf as Leaf).pos]++;
    ki.put(main, sub);
    return ki;
  }

  restore(key: string, main: number, sub: number, createMain: number, version: number): void {
    const ki = this.findOrCreate(key);
    if (!ki.live) this.counts[(ki.leaf as Leaf).pos]++;
    ki.restore(main, sub, createMain, version);
  }

  /** False when the key is not live (nothing to delete). */
  tombstone(key: string, main: number, sub: number): boolean {
    const ki = this.byKey.get(key);
    if (ki === undefined || !ki.tombstone(main, sub)) return false;
    this.counts[(ki.leaf as Leaf).pos]--;
    return true;
  }

  get(key: string, rev: number): IndexHit | undefined {
    const ki = this.byKey.get(key);
    if (ki === undefined) return undefined;
    const at = ki.get(rev) as IndexHit | undefined;
    if (at !== undefined) at.ki = ki;
    return at;
  }

  /** Live keys from leaf `li`, slot `i` up to `end` (exclusive): two partial leaves plus a sum of leaf counts. */
  private countLiveFrom(li: number, i: number, end: string): number {
    const last = end === NO_END ? this.leaves.length : this.leafFor(end);
    let n = 0;
    if (last === li) return countLiveBelow(this.leaves[li].keys, i, end);
    // every key of leaves before `last` is below end (the first key of `last` is <= end)
    n += countLiveBelow(this.leaves[li].keys, i, NO_END);
    const c = this.counts;
    for (let j = li + 1; j < last; j++) n += c[j];
    if (last < this.leaves.length) n += countLiveBelow(this.leaves[last].keys, 0, end);
    return n;
  }

  /**
   * Calls `fn` for every key in [key, end) in key order, until it returns false. `end` undefined
   * means the single key; NO_END means no upper bound.
   */
  visit(key: string, end: string | undefined, fn: (ki: KeyIndex) => boolean): void {
    if (end === undefined) {
      const ki = this.byKey.get(key);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (end <= key) return;
    let li = this.leafFor(key);
    let i = TreeIndex.lowerBound(this.leaves[li].keys, key);
    for (; li < this.leaves.length; li++, i = 0) {
      const keys = this.leaves[li].keys;
      // a leaf wholly below the end needs no per-key comparison
      const bounded = end !== NO_END && keys.length > 0 && keys[keys.length - 1].key >= end;
      for (; i < keys.length; i++) {
        const ki = keys[i];
        if (bounded && ki.key >= end) return;
        if (!fn(ki)) return;
      }
      if (bounded) return;
    }
  }

  /**
   * Keys visible at `rev` in range, in key order, at most `limit` (0 = all, -1 = none), plus the
   * total count before the limit. `head`: rev is the newest revision in the index, so a key is
   * visible iff it is live, and the count past the limit comes from per-leaf counts.
   */
  range(
    key: string,
    end: string | undefined,
    rev: number,
    limit: number,
    head = false,
  ): { hits: IndexHit[]; total: number } {
    const hits: IndexHit[] = [];
    if (end === undefined) {
      const hit = this.get(key, rev);
      if (hit !== undefined && limit >= 0) hits.push(hit);
      return { hits, total: hit === undefined ? 0 : 1 };
    }
    if (end <= key) return { hits, total: 0 };
    let li = this.leafFor(key);
    let i = TreeIndex.lowerBound(this.leaves[li].keys, key);
    let total = 0;
    for (; li < this.leaves.length; li++, i = 0) {
      const keys = this.leaves[li].keys;
      const bounded = end !== NO_END && keys.length > 0 && keys[keys.length - 1].key >= end;
      for (; i < keys.length; i++) {
        const ki = keys[i];
        if (bounded && ki.key >= end) return { hits, total };
        if (limit !== 0 && hits.length >= limit) {
          if (head) return { hits, total: total + this.countLiveFrom(li, i, end) };
          if (ki.get(rev) !== undefined) total++;
          continue;
        }
        const at = (head && !ki.isLive() ? undefined : ki.get(rev)) as IndexHit | undefined;
        if (at === undefined) continue;
        total++;
        at.ki = ki;
        hits.push(at);
      }
      if (bounded) break;
    }
    return { hits, total };
  }

  /** Compacts every key at `rev`, drops keys left without history, returns revisions to keep. */
  compact(rev: number): Set<string> {
    const keep = new Set<string>();
    const leaves: Leaf[] = [];
    for (const leaf of this.leaves) {
      const kept: KeyIndex[] = [];
      for (const ki of leaf.keys) {
        ki.compact(rev, keep);
        if (!ki.isEmpty()) kept.push(ki);
        else this.byKey.delete(ki.key);
      }
      if (kept.length === 0) continue;
      leaf.keys = kept;
      leaves.push(leaf);
    }
    if (leaves.length === 0) leaves.push(new Leaf([]));
    this.leaves = leaves;
    this.counts = new Int32Array(Math.max(64, leaves.length * 2));
    leaves.forEach((l, j) => {
      l.pos = j;
      this.counts[j] = countLive(l.keys);
    });
    this.firsts = leaves.map((l, i) => (i === 0 ? '' : l.keys[0].key));
    return keep;
  }

  /** Revisions compaction at `rev` would keep, without changing anything. */
  keep(rev: number): Set<string> {
    const keep = new Set<string>();
    for (const ki of this.byKey.values()) {
      const clone = new KeyIndex(ki.key);
      clone.generations = ki.generations.map((g) =>
        Object.assign(Object.create(Object.getPrototypeOf(g)), g),
      );
      clone.compact(rev, keep);
    }
    return keep;
  }
}

function countLive(keys: KeyIndex[]): number {
  let n = 0;
  for (const ki of keys) if (ki.live) n++;
  return n;
}

function countLiveBelow(keys: KeyIndex[], from: number, end: string): number {
  let n = 0;
  for (let i = from; i < keys.length; i++) {
    const ki = keys[i];
    if (end !== NO_END && ki.key >= end) break;
    if (ki.live) n++;
  }
  return n;
}

// The in-memory index: every key's KeyIndex, ordered by key bytes. Keys are latin1 strings, whose
// order is byte order. Storage is a two-level sorted structure (leaves of at most LEAF_MAX
// entries, located by binary search over each leaf's first key), so a point lookup is two binary
// searches, an insert moves at most a leaf plus the leaf directory, and a range scan walks leaves
// in order. At 1M keys that is ~4k leaves.
import { type KeyAt, KeyIndex } from './key-index';

const LEAF_MAX = 512;

/** Upper bound meaning "no end": greater than every latin1 string. */
export const NO_END = '\uffff';

export interface IndexHit extends KeyAt {
  ki: KeyIndex;
}

export class TreeIndex {
  private leaves: KeyIndex[][] = [[]];
  private firsts: string[] = [''];
  /** Per leaf: keys whose newest generation is live, so counting at the head revision skips whole leaves. */
  private live: number[] = [0];
  private count = 0;

  get size(): number {
    return this.count;
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
  private static lowerBound(leaf: KeyIndex[], key: string): number {
    let lo = 0;
    let hi = leaf.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (leaf[mid].key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(key: string): KeyIndex | undefined {
    const leaf = this.leaves[this.leafFor(key)];
    const i = TreeIndex.lowerBound(leaf, key);
    return i < leaf.length && leaf[i].key === key ? leaf[i] : undefined;
  }

  /** Position of `key`: its leaf, its slot, and the KeyIndex there if the key is present. */
  private locate(key: string): { li: number; i: number; ki: KeyIndex | undefined } {
    const li = this.leafFor(key);
    const leaf = this.leaves[li];
    const i = TreeIndex.lowerBound(leaf, key);
    return { li, i, ki: i < leaf.length && leaf[i].key === key ? leaf[i] : undefined };
  }

  private insertAt(li: number, i: number, key: string): KeyIndex {
    const leaf = this.leaves[li];
    const ki = new KeyIndex(key);
    leaf.splice(i, 0, ki);
    this.count++;
    if (i === 0 && li > 0) this.firsts[li] = key;
    return ki;
  }

  private splitIfFull(li: number): void {
    const leaf = this.leaves[li];
    if (leaf.length <= LEAF_MAX) return;
    const right = leaf.splice(LEAF_MAX >> 1);
    this.leaves.splice(li + 1, 0, right);
    this.firsts.splice(li + 1, 0, right[0].key);
    this.live.splice(li + 1, 0, countLive(right));
    this.live[li] = countLive(leaf);
  }

  put(key: string, main: number, sub: number): KeyIndex {
    const { li, i, ki: found } = this.locate(key);
    const ki = found ?? this.insertAt(li, i, key);
    if (!ki.isLive()) this.live[li]++;
    ki.put(main, sub);
    this.splitIfFull(li);
    return ki;
  }

  restore(key: string, main: number, sub: number, createMain: number, version: number): void {
    const { li, i, ki: found } = this.locate(key);
    const ki = found ?? this.insertAt(li, i, key);
    if (!ki.isLive()) this.live[li]++;
    ki.restore(main, sub, createMain, version);
    this.splitIfFull(li);
  }

  /** False when the key is not live (nothing to delete). */
  tombstone(key: string, main: number, sub: number): boolean {
    const { li, ki } = this.locate(key);
    if (ki === undefined || !ki.tombstone(main, sub)) return false;
    this.live[li]--;
    return true;
  }

  /** Live keys from leaf `li`, slot `i` up to `end` (exclusive), using whole-leaf counts where possible. */
  private countLiveFrom(li: number, i: number, end: string): number {
    let n = 0;
    for (; li < this.leaves.length; li++, i = 0) {
      const leaf = this.leaves[li];
      if (leaf.length === 0) continue;
      if (i === 0 && leaf[leaf.length - 1].key < end) {
        n += this.live[li];
        continue;
      }
      for (; i < leaf.length; i++) {
        const ki = leaf[i];
        if (ki.key >= end) return n;
        if (ki.isLive()) n++;
      }
    }
    return n;
  }

  get(key: string, rev: number): IndexHit | undefined {
    const ki = this.find(key);
    if (ki === undefined) return undefined;
    const at = ki.get(rev) as IndexHit | undefined;
    if (at !== undefined) at.ki = ki;
    return at;
  }

  /**
   * Calls `fn` for every key in [key, end) in key order, until it returns false. `end` undefined
   * means the single key; NO_END means no upper bound.
   */
  visit(key: string, end: string | undefined, fn: (ki: KeyIndex) => boolean): void {
    if (end === undefined) {
      const ki = this.find(key);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (end <= key) return;
    let li = this.leafFor(key);
    let i = TreeIndex.lowerBound(this.leaves[li], key);
    for (; li < this.leaves.length; li++, i = 0) {
      const leaf = this.leaves[li];
      for (; i < leaf.length; i++) {
        const ki = leaf[i];
        if (ki.key >= end) return;
        if (!fn(ki)) return;
      }
    }
  }

  /**
   * Keys visible at `rev` in range, in key order, at most `limit` (0 = all), plus the total count
   * before the limit. `head`: rev is the newest revision in the index, so a key is visible iff it
   * is live, and the count past the limit comes from per-leaf counts instead of a walk.
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
    let i = TreeIndex.lowerBound(this.leaves[li], key);
    let total = 0;
    for (; li < this.leaves.length; li++, i = 0) {
      const leaf = this.leaves[li];
      for (; i < leaf.length; i++) {
        const ki = leaf[i];
        if (ki.key >= end) return { hits, total };
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
    }
    return { hits, total };
  }

  /** Compacts every key at `rev`, drops keys left without history, returns revisions to keep. */
  compact(rev: number): Set<string> {
    const keep = new Set<string>();
    const leaves: KeyIndex[][] = [];
    for (const leaf of this.leaves) {
      const kept: KeyIndex[] = [];
      for (const ki of leaf) {
        ki.compact(rev, keep);
        if (!ki.isEmpty()) kept.push(ki);
      }
      if (kept.length > 0) leaves.push(kept);
    }
    if (leaves.length === 0) leaves.push([]);
    this.leaves = leaves;
    this.firsts = leaves.map((l, i) => (i === 0 ? '' : l[0].key));
    this.live = leaves.map(countLive);
    this.count = leaves.reduce((n, l) => n + l.length, 0);
    return keep;
  }

  /** Revisions compaction at `rev` would keep, without changing anything. */
  keep(rev: number): Set<string> {
    const keep = new Set<string>();
    for (const leaf of this.leaves)
      for (const ki of leaf) {
        const clone = new KeyIndex(ki.key);
        clone.generations = ki.generations.map((g) =>
          Object.assign(Object.create(Object.getPrototypeOf(g)), g),
        );
        clone.compact(rev, keep);
      }
    return keep;
  }
}

function countLive(leaf: KeyIndex[]): number {
  let n = 0;
  for (const ki of leaf) if (ki.isLive()) n++;
  return n;
}

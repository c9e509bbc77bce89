import { prng } from '../jepsen/register-workload';

/** Seeded choices; every random decision of a run goes through one of these, so a seed replays. */
export class Gen {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed * 2654435761 + 1);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(xs: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of xs) total += w;
    let r = this.next() * total;
    for (const [w, v] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return xs[xs.length - 1]![1];
  }
}

/**
 * A small key alphabet so that collisions, overlapping ranges and duplicates happen often; it holds the
 * empty key, "\0", keys that extend one another ("a", "a\0", "ab") and a prefix family ("foo/...").
 * Twelve keys at most: etcd sorts a range with Go's sort.Sort, which is stable only up to 12 elements
 * (insertion sort), so with more keys the order of ties under a sort target would be Go's accident.
 */
export const KEYS = ['a', 'b', 'c', 'a\0', 'ab', 'foo', 'foo/1', 'foo/2', 'fop', '\0', '\xff', 'z'];

/** The byte string that follows every key with this prefix (etcd's prefix end); "\0" for an all-0xff one. */
export function prefixEnd(key: string): string {
  const b = Buffer.from(key, 'latin1');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i] = out[i]! + 1;
      return out.toString('latin1');
    }
  }
  return '\0';
}

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** A key, sometimes the empty (invalid) one. */
export function genKey(g: Gen, emptyP = 0.03): string {
  return g.chance(emptyP) ? '' : g.pick(KEYS);
}

/** A range end for `key`: none (single key), "\0" (from key), its prefix end, or another key (maybe below it). */
export function genRangeEnd(g: Gen, key: string): string {
  return g.weighted<string>([
    [4, ''],
    [2, '\0'],
    [2, prefixEnd(key)],
    [3, g.pick(KEYS)],
  ]);
}

export function genValue(g: Gen): string {
  return g.weighted<string>([
    [1, ''],
    [6, `v${g.int(8)}`],
    [1, 'x'.repeat(g.int(300))],
  ]);
}

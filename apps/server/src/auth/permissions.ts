// What one user may read and write: the union of its roles' key permissions, merged into sorted,
// disjoint intervals so that a check is one binary search (etcd keeps an interval tree per user).
import { authpb } from '@kv/api-proto';

const { READ, WRITE, READWRITE } = authpb.Permission.Type;

/** A half-open key interval [begin, end); `end === null` is open-ended (every key >= begin). */
interface Interval {
  begin: Buffer;
  end: Buffer | null;
}

const ZERO = Buffer.from([0]);
const EMPTY = Buffer.alloc(0);

/** Compares interval ends, null being +infinity. */
function cmpEnd(a: Buffer | null, b: Buffer | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return Buffer.compare(a, b);
}

/** The interval a permission or request names: empty rangeEnd = the single key, "\0" = from key on. */
export function keyInterval(key: Uint8Array, rangeEnd: Uint8Array | null | undefined): Interval {
  const begin = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (!rangeEnd || rangeEnd.length === 0) return { begin, end: Buffer.concat([begin, ZERO]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { begin, end: null };
  return { begin, end: Buffer.from(rangeEnd.buffer, rangeEnd.byteOffset, rangeEnd.byteLength) };
}

/** Sorted, disjoint, non-touching intervals covering the same keys as `list`. */
function merge(list: Interval[]): Interval[] {
  const sorted = list
    .filter((i) => cmpEnd(i.begin, i.end) < 0)
    .sort((a, b) => Buffer.compare(a.begin, b.begin));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    // Touching intervals are one: etcd's Contains treats [a,b) and [b,c) as contiguous.
    if (last !== undefined && (last.end === null || Buffer.compare(i.begin, last.end) <= 0)) {
      if (cmpEnd(i.end, last.end) > 0) last.end = i.end;
    } else out.push({ begin: i.begin, end: i.end });
  }
  return out;
}

/** Does one of the merged intervals contain all of [begin, end)? */
function covers(merged: Interval[], begin: Buffer, end: Buffer | null): boolean {
  // The last interval starting at or before `begin`.
  let lo = 0;
  let hi = merged.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(merged[mid]!.begin, begin) <= 0) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return false;
  const iv = merged[found]!;
  if (cmpEnd(iv.end, begin) <= 0) return false;
  return cmpEnd(iv.end, end) >= 0;
}

export interface KeyPermission {
  permType: number;
  key: Uint8Array;
  rangeEnd: Uint8Array;
}

/** The merged read and write permissions of one user. */
export class RangePermissions {
  private readonly read: Interval[];
  private readonly write: Interval[];

  constructor(perms: Iterable<KeyPermission>) {
    const read: Interval[] = [];
    const write: Interval[] = [];
    for (const p of perms) {
      // etcd's interval tree orders an empty key after every other (+infinity), so a permission whose key
      // is empty begins past its own end and grants nothing, even as from-key ("" to "\0").
      if (p.key.length === 0) continue;
      const iv = keyInterval(p.key, p.rangeEnd);
      if (p.permType === READ || p.permType === READWRITE) read.push(iv);
      if (p.permType === WRITE || p.permType === READWRITE) write.push({ ...iv });
    }
    this.read = merge(read);
    this.write = merge(write);
  }

  /** May the user read every key of the request's range (single key when rangeEnd is empty)? */
  canRead(key: Uint8Array, rangeEnd?: Uint8Array | null): boolean {
    return check(this.read, key, rangeEnd);
  }

  canWrite(key: Uint8Array, rangeEnd?: Uint8Array | null): boolean {
    return check(this.write, key, rangeEnd);
  }
}

function check(merged: Interval[], key: Uint8Array, rangeEnd: Uint8Array | null | undefined): boolean {
  if (merged.length === 0) return false;
  const iv = keyInterval(key ?? EMPTY, rangeEnd);
  // An empty or inverted range names no key; etcd's tree then only asks about its start.
  if (iv.end !== null && Buffer.compare(iv.begin, iv.end) >= 0) iv.end = Buffer.concat([iv.begin, ZERO]);
  return covers(merged, iv.begin, iv.end);
}

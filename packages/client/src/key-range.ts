// Key arithmetic: etcd addresses ranges as [key, rangeEnd) of raw bytes.

/** Keys and values may be given as strings (UTF-8) or bytes. */
export type Bytes = string | Uint8Array;

/** Converts a key or value to a Buffer without copying when it already is one. */
export function toBuffer(b: Bytes): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (Buffer.isBuffer(b)) return b;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** `rangeEnd` that selects every key >= the start key (etcd's "\0"). */
export const FROM_KEY = Buffer.from([0]);

/**
 * The range end that selects every key starting with `prefix`: the prefix with its last byte that is
 * not 0xff incremented and the rest dropped. An all-0xff (or empty) prefix has no upper bound: "\0".
 */
export function prefixEnd(prefix: Bytes): Buffer {
  const p = toBuffer(prefix);
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i] < 0xff) {
      const end = Buffer.from(p.subarray(0, i + 1));
      end[i]++;
      return end;
    }
  }
  return Buffer.from(FROM_KEY);
}

/** How a request picks its keys; at most one of `prefix`, `rangeEnd`, `fromKey` may be set. */
export interface RangeSelector {
  /** Select every key that starts with the given key. */
  prefix?: boolean;
  /** Select keys in [key, rangeEnd). */
  rangeEnd?: Bytes;
  /** Select every key >= the given key. */
  fromKey?: boolean;
}

/**
 * Resolves a key and selector to the wire's (key, range_end); an empty range_end means the single key.
 * An empty key with `prefix` or `fromKey` means every key, which etcd spells ("\0", "\0").
 */
export function keyRange(key: Bytes, sel: RangeSelector = {}): { key: Buffer; rangeEnd: Buffer } {
  const set = Number(!!sel.prefix) + Number(sel.rangeEnd !== undefined) + Number(!!sel.fromKey);
  if (set > 1) throw new TypeError('use only one of prefix, rangeEnd and fromKey');
  const k = toBuffer(key);
  if ((sel.prefix || sel.fromKey) && k.length === 0)
    return { key: Buffer.from(FROM_KEY), rangeEnd: Buffer.from(FROM_KEY) };
  if (sel.prefix) return { key: k, rangeEnd: prefixEnd(k) };
  if (sel.fromKey) return { key: k, rangeEnd: Buffer.from(FROM_KEY) };
  if (sel.rangeEnd !== undefined) return { key: k, rangeEnd: toBuffer(sel.rangeEnd) };
  return { key: k, rangeEnd: Buffer.alloc(0) };
}

// Building etcd requests the way clientv3's options do (prefix and from-key range ends, sort rules),
// shared by get/put/del and txn.
import { CtlError, ExitBadArgs } from './exit-codes';
import { prefixRangeEnd } from './printer-simple';

export const FROM_KEY = Buffer.from([0]);

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** strconv.ParseInt(s, 16, 64) with Go's error text */
export function parseHexInt64(s: string): bigint {
  if (!/^[+-]?[0-9a-fA-F]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const neg = s.startsWith('-');
  const v = BigInt(`0x${s.replace(/^[+-]/, '')}`);
  if (v > (neg ? 2n ** 63n : 2n ** 63n - 1n))
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return neg ? -v : v;
}

/** strconv.ParseInt(s, 10, 64) with Go's error text */
export function parseDecInt64(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > 2n ** 63n - 1n || v < -(2n ** 63n))
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return v;
}

export function leaseArg(s: string): bigint {
  try {
    return parseHexInt64(s);
  } catch (e) {
    throw new CtlError(ExitBadArgs, `bad lease ID arg (${(e as Error).message}), expecting ID in Hex`);
  }
}

export interface RangeOpts {
  prefix?: boolean;
  fromKey?: boolean;
  rangeEnd?: string;
}

/** key and range_end as clientv3 computes them for WithPrefix/WithFromKey/WithRange. */
export function keyRange(key: string, o: RangeOpts): { key: Buffer; rangeEnd?: Buffer } {
  let k = bytes(key);
  let end = o.rangeEnd !== undefined ? bytes(o.rangeEnd) : Buffer.alloc(0);
  if (o.prefix) {
    if (k.length === 0) {
      k = FROM_KEY;
      end = FROM_KEY;
    } else end = prefixRangeEnd(k);
  }
  if (o.fromKey) {
    if (k.length === 0) k = FROM_KEY;
    end = FROM_KEY;
  }
  // An empty range_end must be left out, not sent as a zero-length field: etcd 3.4 then answers a
  // range [key, "") with every key >= key.
  return end.length === 0 ? { key: k } : { key: k, rangeEnd: end };
}

export const sortOrders: Record<string, number> = { '': 0, ASCEND: 1, DESCEND: 2 };
export const sortTargets: Record<string, number> = { '': 0, KEY: 0, VERSION: 1, CREATE: 2, MODIFY: 3, VALUE: 4 };

/** clientv3.WithSort: ascending by key is the server's natural order, so it is sent as no sort. */
export function sortFields(target: number, order: number): { sortTarget: number; sortOrder: number } {
  if (target === 0 && order === 1) return { sortTarget: 0, sortOrder: 0 };
  return { sortTarget: target, sortOrder: order };
}

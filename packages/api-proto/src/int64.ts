import Long = require('long');

/**
 * 64-bit values at the wire edge. protobufjs decodes int64/uint64 as `Long` (or `number` when small values
 * come from plain objects); domain code uses `bigint` for identifiers and `number` for revisions.
 */
export type Int64Like = Long | number | string | bigint;

const TWO_64 = 1n << 64n;

/** Exact conversion to bigint. `Long` keeps its signedness; numbers must be integers. */
export function toBigInt(value: Int64Like | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`not an integer: ${value}`);
    return BigInt(value);
  }
  if (typeof value === 'string') return BigInt(value);
  const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned || unsigned < 1n << 63n ? unsigned : unsigned - TWO_64;
}

/** As `toBigInt`, then read as unsigned 64-bit (for uint64 fields such as member and cluster IDs). */
export function toUint64(value: Int64Like | null | undefined): bigint {
  return BigInt.asUintN(64, toBigInt(value));
}

/** As `toBigInt`, then read as signed 64-bit (for int64 fields such as lease IDs). */
export function toInt64(value: Int64Like | null | undefined): bigint {
  return BigInt.asIntN(64, toBigInt(value));
}

/**
 * A `Long` carrying the same 64 bits, for message fields. The sign flag only affects how the Long prints;
 * the encoded bits are what etcd sees.
 */
export function toLong(value: Int64Like, unsigned = false): Long {
  if (typeof value === 'object')
    return value.unsigned === unsigned ? value : Long.fromBits(value.low, value.high, unsigned);
  const bits = BigInt.asUintN(64, toBigInt(value));
  return Long.fromBits(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
}

/**
 * Number for revisions, versions, TTLs and counts. Throws beyond 2^53 rather than silently rounding.
 */
export function toNumber(value: Int64Like | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'object') {
    const n = value.toNumber();
    if (!Number.isSafeInteger(n)) throw new RangeError(`64-bit value ${value.toString()} exceeds 2^53`);
    return n;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`64-bit value ${String(value)} exceeds 2^53`);
  return n;
}

/** Decimal text of the value as a signed or unsigned 64-bit integer (what etcd's JSON prints). */
export function int64String(value: Int64Like | null | undefined, unsigned = false): string {
  const v = toBigInt(value);
  return (unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v)).toString();
}

export { Long };

// The persisted form of a lease. The value is the protobuf encoding of etcd's leasepb.Lease
// (ID = 1, TTL = 2, RemainingTTL = 3, all int64 varints, zero fields omitted) and the key is the ID as
// 8 bytes big-endian, as in etcd's "lease" bucket: the bytes match what etcd writes.

/** What the lessor needs to rebuild a lease after a restart. Expiry is never persisted. */
export interface LeaseRecord {
  id: bigint;
  /** Granted TTL in seconds (after the minimum TTL was applied). */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds; 0 = none, a new leader uses the full TTL. */
  remainingTTL: number;
}

/** A change to the lease namespace that the server writes in the same batch as the mvcc changes. */
export type LeaseRecordChange = { put: LeaseRecord } | { delete: bigint };

/** The storage key of a lease record: the int64 ID as 8 bytes big-endian (two's complement). */
export function encodeLeaseKey(id: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, id));
  return b;
}

export function decodeLeaseKey(key: Uint8Array): bigint {
  if (key.byteLength !== 8) throw new Error(`lease key must be 8 bytes, got ${key.byteLength}`);
  return Buffer.from(key.buffer, key.byteOffset, 8).readBigInt64BE();
}

export function encodeLeaseRecord(r: LeaseRecord): Uint8Array {
  const out: number[] = [];
  field(out, 1, r.id);
  field(out, 2, BigInt(r.ttl));
  field(out, 3, BigInt(r.remainingTTL));
  return Uint8Array.from(out);
}

export function decodeLeaseRecord(bytes: Uint8Array): LeaseRecord {
  const r: LeaseRecord = { id: 0n, ttl: 0, remainingTTL: 0 };
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error('lease record: truncated varint');
      const b = bytes[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, v);
      shift += 7n;
      if (shift > 63n) throw new Error('lease record: varint too long');
    }
  };
  while (pos < bytes.length) {
    const tag = Number(varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint();
      if (num === 1) r.id = v;
      else if (num === 2) r.ttl = Number(v);
      else if (num === 3) r.remainingTTL = Number(v);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = Number(varint());
      pos += len;
    } else throw new Error(`lease record: unsupported wire type ${wire}`);
    // Unknown fields are skipped so a newer writer's records still load.
  }
  if (pos > bytes.length) throw new Error('lease record: truncated field');
  return r;
}

function field(out: number[], num: number, value: bigint): void {
  if (value === 0n) return;
  out.push(num << 3);
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

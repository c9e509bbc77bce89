// The stored form of one revision of a key, and the plain types the store hands out.

export interface KeyValue {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  /** 0n when the key is not attached to a lease. */
  lease: bigint;
}

export interface Event {
  type: 'PUT' | 'DELETE';
  /** For DELETE only `key` and `modRevision` (the deleting revision) are set, as in etcd. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

const EMPTY = Buffer.alloc(0);
const FLAG_TOMBSTONE = 1;
// flags(1) createRevision(8) modRevision(8) version(8) lease(8) keyLength(4), then key, then value.
const HEADER = 37;

export function encodeKeyValue(kv: KeyValue, tombstone: boolean): Buffer {
  const key = kv.key;
  const value = kv.value;
  const b = Buffer.allocUnsafe(HEADER + key.length + value.length);
  b[0] = tombstone ? FLAG_TOMBSTONE : 0;
  b.writeDoubleBE(kv.createRevision, 1);
  b.writeDoubleBE(kv.modRevision, 9);
  b.writeDoubleBE(kv.version, 17);
  b.writeBigInt64BE(kv.lease, 25);
  b.writeUInt32BE(key.length, 33);
  b.set(key, HEADER);
  b.set(value, HEADER + key.length);
  return b;
}

export function isTombstoneRecord(b: Buffer): boolean {
  return (b[0] & FLAG_TOMBSTONE) !== 0;
}

/** The key bytes as a latin1 string: the in-memory index's key form (byte order = string order). */
export function recordKeyString(b: Buffer): string {
  const len = b.readUInt32BE(33);
  return b.toString('latin1', HEADER, HEADER + len);
}

/** Creation revision and version stored in a record (restore needs them: compaction may have removed the creating row). */
export function recordCreateAndVersion(b: Buffer): { create: number; version: number } {
  return { create: b.readDoubleBE(1), version: b.readDoubleBE(17) };
}

export function decodeKeyValue(b: Buffer): KeyValue {
  const len = b.readUInt32BE(33);
  return {
    key: b.subarray(HEADER, HEADER + len),
    createRevision: b.readDoubleBE(1),
    modRevision: b.readDoubleBE(9),
    version: b.readDoubleBE(17),
    value: b.length > HEADER + len ? b.subarray(HEADER + len) : EMPTY,
    lease: b.readBigInt64BE(25),
  };
}

export function tombstoneKeyValue(key: Uint8Array, modRevision: number): KeyValue {
  return { key, createRevision: 0, modRevision, version: 0, value: EMPTY, lease: 0n };
}

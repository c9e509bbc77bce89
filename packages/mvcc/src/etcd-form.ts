// One revision of a key as etcd 3.4's backend stores it in its `key` bucket: the revision key
// (main 8 bytes BE, '_', sub 8 bytes BE, and 't' after a tombstone's) and an mvccpb.KeyValue whose
// tombstone holds only the key. HashKV hashes these bytes so that equal histories hash as in etcd, and the
// server's bbolt snapshots write them.
import type { KeyValue } from './key-value';

export function etcdRevisionKey(main: number, sub: number, tombstone: boolean): Buffer {
  const b = Buffer.alloc(tombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) b[17] = 0x74;
  return b;
}

/** Bytes of a varint; revisions and lengths stay numbers, only a lease ID (int64) goes through BigInt. */
function varintSize(v: number | bigint): number {
  if (typeof v === 'number' && v >= 0) {
    let n = 1;
    for (let x = v; x >= 0x80; x = Math.floor(x / 0x80)) n++;
    return n;
  }
  let n = 1;
  for (let x = BigInt.asUintN(64, BigInt(v)); x >= 0x80n; x >>= 7n) n++;
  return n;
}

function writeVarint(b: Buffer, at: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= 0) {
    let x = v;
    while (x >= 0x80) {
      b[at++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    b[at++] = x;
    return at;
  }
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    b[at++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  b[at++] = Number(x);
  return at;
}

/** mvccpb.KeyValue: key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6 (zeros left out). */
export function encodeEtcdKeyValue(kv: KeyValue): Buffer {
  const ints: Array<[number, number | bigint]> = [
    [2, kv.createRevision],
    [3, kv.modRevision],
    [4, kv.version],
  ];
  const bytesSize = (x: Uint8Array) => (x.length === 0 ? 0 : 1 + varintSize(x.length) + x.length);
  const intSize = (v: number | bigint) => (v === 0 || v === 0n ? 0 : 1 + varintSize(v));
  let size = bytesSize(kv.key) + bytesSize(kv.value) + intSize(kv.lease);
  for (const [, v] of ints) size += intSize(v);
  const b = Buffer.allocUnsafe(size);
  let at = 0;
  const bytes = (field: number, x: Uint8Array) => {
    if (x.length === 0) return;
    b[at++] = (field << 3) | 2;
    at = writeVarint(b, at, x.length);
    b.set(x, at);
    at += x.length;
  };
  const int = (field: number, v: number | bigint) => {
    if (v === 0 || v === 0n) return;
    b[at++] = field << 3;
    at = writeVarint(b, at, v);
  };
  bytes(1, kv.key);
  for (const [f, v] of ints) int(f, v);
  bytes(5, kv.value);
  int(6, kv.lease);
  return b;
}

/** A stored row (our record) in etcd's form. */
export function etcdRow(main: number, sub: number, kv: KeyValue, tombstone: boolean): [Buffer, Buffer] {
  const value = tombstone
    ? encodeEtcdKeyValue({
        ...kv,
        createRevision: 0,
        modRevision: 0,
        version: 0,
        lease: 0n,
        value: Buffer.alloc(0),
      })
    : encodeEtcdKeyValue(kv);
  return [etcdRevisionKey(main, sub, tombstone), value];
}

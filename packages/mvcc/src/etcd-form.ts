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

function varint(out: number[], v: bigint): void {
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

function bytesField(out: number[], field: number, b: Uint8Array): void {
  if (b.length === 0) return;
  out.push((field << 3) | 2);
  varint(out, BigInt(b.length));
  for (const x of b) out.push(x);
}

function intField(out: number[], field: number, v: number | bigint): void {
  if (v === 0 || v === 0n) return;
  out.push(field << 3);
  varint(out, BigInt(v));
}

/** mvccpb.KeyValue: key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6 (zeros left out). */
export function encodeEtcdKeyValue(kv: KeyValue): Buffer {
  const out: number[] = [];
  bytesField(out, 1, kv.key);
  intField(out, 2, kv.createRevision);
  intField(out, 3, kv.modRevision);
  intField(out, 4, kv.version);
  bytesField(out, 5, kv.value);
  intField(out, 6, kv.lease);
  return Buffer.from(out);
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

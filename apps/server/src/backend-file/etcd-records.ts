// The records of etcd 3.4's backend buckets, byte for byte as etcd writes them (checked against a real
// etcd's snapshot): revision keys, mvccpb.KeyValue, the members' JSON and alarm keys.
import type { KeyValue } from '@kv/mvcc';

// revision keys and KeyValue rows in etcd's form live with the store, which hashes them (HashKV)
export { encodeEtcdKeyValue, etcdRevisionKey } from '@kv/mvcc';

export function parseEtcdRevisionKey(k: Buffer): { main: number; sub: number; tombstone: boolean } {
  if (k.length < 17 || k[8] !== 0x5f) throw new Error(`not a revision key: ${k.toString('hex')}`);
  return { main: readU64BE(k, 0), sub: readU64BE(k, 9), tombstone: k.length === 18 && k[17] === 0x74 };
}

function readU64BE(b: Buffer, off: number): number {
  return b.readUInt32BE(off) * 0x100000000 + b.readUInt32BE(off + 4);
}

export function u64BE(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}

// ---- protobuf, as gogoproto marshals proto3: fields in number order, zero values left out

class PbWriter {
  private parts: number[] = [];
  private readonly chunks: Buffer[] = [];

  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      // the common case (revisions, lengths) without BigInt
      let x = v;
      while (x >= 0x80) {
        this.parts.push((x % 0x80) | 0x80);
        x = Math.floor(x / 0x80);
      }
      this.parts.push(x);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }

  int(field: number, v: number | bigint): void {
    if (v === 0 || v === 0n) return;
    this.varint(field << 3);
    this.varint(v);
  }

  bytes(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.chunks.push(Buffer.from(this.parts), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    this.parts = [];
  }

  finish(): Buffer {
    if (this.chunks.length === 0) return Buffer.from(this.parts);
    if (this.parts.length) this.chunks.push(Buffer.from(this.parts));
    return Buffer.concat(this.chunks);
  }
}

/** Reads the varint and length-delimited fields of a message; other wire types are skipped. */
function readPb(b: Buffer, on: (field: number, value: bigint | Buffer) => void): void {
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= b.length) throw new Error('protobuf: truncated varint');
      const x = b[pos++]!;
      v |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return v;
      shift += 7n;
    }
  };
  while (pos < b.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    if (wire === 0) on(tag >>> 3, varint());
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > b.length) throw new Error('protobuf: truncated field');
      on(tag >>> 3, b.subarray(pos, pos + len));
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
}

export function decodeEtcdKeyValue(b: Buffer): KeyValue {
  const kv: KeyValue = {
    key: Buffer.alloc(0),
    createRevision: 0,
    modRevision: 0,
    version: 0,
    value: Buffer.alloc(0),
    lease: 0n,
  };
  readPb(b, (f, v) => {
    if (f === 1) kv.key = Buffer.from(v as Buffer);
    else if (f === 2) kv.createRevision = Number(BigInt.asIntN(64, v as bigint));
    else if (f === 3) kv.modRevision = Number(BigInt.asIntN(64, v as bigint));
    else if (f === 4) kv.version = Number(BigInt.asIntN(64, v as bigint));
    else if (f === 5) kv.value = Buffer.from(v as Buffer);
    else if (f === 6) kv.lease = BigInt.asIntN(64, v as bigint);
  });
  return kv;
}

/** The 'alarm' bucket's key: etcdserverpb.AlarmMember (memberID 1, alarm 2); the value is empty. */
export function encodeEtcdAlarmKey(memberId: bigint, alarm: number): Buffer {
  const w = new PbWriter();
  w.int(1, memberId);
  w.int(2, alarm);
  return w.finish();
}

export function decodeEtcdAlarmKey(b: Buffer): { memberId: bigint; alarm: number } {
  const r = { memberId: 0n, alarm: 0 };
  readPb(b, (f, v) => {
    if (f === 1) r.memberId = v as bigint;
    else if (f === 2) r.alarm = Number(v);
  });
  return r;
}

export interface EtcdMember {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/**
 * The 'members' bucket: key = the ID in hex, value = Go's json.Marshal of membership.Member (id as a
 * JSON number; isLearner, name and clientURLs omitted when empty).
 */
export function encodeEtcdMember(m: EtcdMember): [Buffer, Buffer] {
  let json = `{"id":${m.id.toString()},"peerURLs":${JSON.stringify(m.peerUrls)}`;
  if (m.isLearner) json += ',"isLearner":true';
  if (m.name) json += `,"name":${JSON.stringify(m.name)}`;
  if (m.clientUrls.length) json += `,"clientURLs":${JSON.stringify(m.clientUrls)}`;
  return [Buffer.from(m.id.toString(16)), Buffer.from(`${json}}`)];
}

export function decodeEtcdMember(key: Buffer, value: Buffer): EtcdMember {
  // the ID is a uint64 JSON number (beyond 2^53): take it from the key instead
  const j = JSON.parse(value.toString('utf8')) as {
    peerURLs?: string[];
    name?: string;
    clientURLs?: string[];
    isLearner?: boolean;
  };
  return {
    id: BigInt(`0x${key.toString('latin1')}`),
    name: j.name ?? '',
    peerUrls: j.peerURLs ?? [],
    clientUrls: j.clientURLs ?? [],
    isLearner: j.isLearner === true,
  };
}

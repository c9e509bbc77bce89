// Protobuf encoding of the three KV calls that get/put/del make (RangeRequest, PutRequest,
// DeleteRangeRequest and their responses), written out by field number so that these hot commands do
// not load the generated code of every etcd message. Field numbers are etcd's rpc.proto / kv.proto.
// Decoded messages use the camelCase names and bigint 64-bit values that `normalize` reads.

type Any = any;

class Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Buffer[] = [];

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x > 0x7fn) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }

  private flush(): void {
    if (this.parts.length) this.chunks.push(Buffer.from(this.parts.splice(0)));
  }

  /** proto3: default values are not written */
  int(field: number, v: unknown): void {
    const n = v === undefined || v === null || v === '' ? 0n : BigInt(v as bigint | number | string);
    if (n === 0n) return;
    this.varint(BigInt(field << 3));
    this.varint(n);
  }

  bool(field: number, v: unknown): void {
    if (v) this.int(field, 1);
  }

  bytes(field: number, v: Uint8Array | undefined): void {
    if (!v || v.length === 0) return;
    this.varint(BigInt((field << 3) | 2));
    this.varint(BigInt(v.length));
    this.flush();
    this.chunks.push(Buffer.from(v.buffer, v.byteOffset, v.length));
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

export function encodeRange(r: Any): Buffer {
  const w = new Writer();
  w.bytes(1, r.key);
  w.bytes(2, r.rangeEnd);
  w.int(3, r.limit);
  w.int(4, r.revision);
  w.int(5, r.sortOrder);
  w.int(6, r.sortTarget);
  w.bool(7, r.serializable);
  w.bool(8, r.keysOnly);
  w.bool(9, r.countOnly);
  return w.finish();
}

export function encodePut(r: Any): Buffer {
  const w = new Writer();
  w.bytes(1, r.key);
  w.bytes(2, r.value);
  w.int(3, r.lease);
  w.bool(4, r.prevKv);
  w.bool(5, r.ignoreValue);
  w.bool(6, r.ignoreLease);
  return w.finish();
}

export function encodeDeleteRange(r: Any): Buffer {
  const w = new Writer();
  w.bytes(1, r.key);
  w.bytes(2, r.rangeEnd);
  w.bool(3, r.prevKv);
  return w.finish();
}

/** One message's fields: number -> [name, kind], kind a scalar or a nested decoder. */
type Field = [string, 'u64' | 'i64' | 'bool' | 'bytes' | Decoder, boolean?];
type Decoder = Record<number, Field>;

const header: Decoder = {
  1: ['clusterId', 'u64'],
  2: ['memberId', 'u64'],
  3: ['revision', 'i64'],
  4: ['raftTerm', 'u64'],
};
const keyValue: Decoder = {
  1: ['key', 'bytes'],
  2: ['createRevision', 'i64'],
  3: ['modRevision', 'i64'],
  4: ['version', 'i64'],
  5: ['value', 'bytes'],
  6: ['lease', 'i64'],
};
export const RangeResponse: Decoder = {
  1: ['header', header],
  2: ['kvs', keyValue, true],
  3: ['more', 'bool'],
  4: ['count', 'i64'],
};
export const PutResponse: Decoder = { 1: ['header', header], 2: ['prevKv', keyValue] };
export const DeleteRangeResponse: Decoder = {
  1: ['header', header],
  2: ['deleted', 'i64'],
  3: ['prevKvs', keyValue, true],
};

export function decode(d: Decoder, buf: Buffer): Any {
  const out: Any = {};
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated message');
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    const f = d[tag >>> 3];
    let raw: bigint | Buffer;
    if (wire === 0) raw = varint();
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated message');
      raw = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) {
      pos += 8;
      continue;
    } else if (wire === 5) {
      pos += 4;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (!f) continue;
    const [name, kind, repeated] = f;
    let v: unknown;
    if (typeof kind === 'object') v = decode(kind, raw as Buffer);
    else if (kind === 'bytes') v = Buffer.from(raw as Buffer);
    else if (kind === 'bool') v = raw !== 0n;
    else if (kind === 'i64') v = BigInt.asIntN(64, raw as bigint);
    else v = BigInt.asUintN(64, raw as bigint);
    if (repeated) (out[name] ??= []).push(v);
    else out[name] = v;
  }
  return out;
}

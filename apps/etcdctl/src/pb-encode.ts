// Protocol buffers encoding of a message in printer form, as Go's (gogo) generated Marshal writes it:
// fields in number order, proto3 zero values left out, a present submessage written even when empty,
// negative integers as ten-byte varints. `etcdctl -w protobuf` prints exactly these bytes.
import { type Kind, keyOf, type Schema } from './schemas';

type Any = any;

function varint(v: bigint, out: number[]): void {
  let u = BigInt.asUintN(64, v);
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
}

function tag(n: number, wire: number, out: number[]): void {
  varint(BigInt((n << 3) | wire), out);
}

function lengthDelimited(n: number, bytes: ArrayLike<number>, out: number[]): void {
  tag(n, 2, out);
  varint(BigInt(bytes.length), out);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
}

function field(n: number, kind: Kind, v: Any, out: number[]): void {
  if (typeof kind === 'object') {
    if ('list' in kind) {
      for (const x of (v as Any[]) ?? []) {
        if (typeof kind.list === 'object' && 'msg' in kind.list)
          lengthDelimited(n, encodeMessage(kind.list.msg, x), out);
        else if (kind.list === 'string') lengthDelimited(n, Buffer.from(String(x)), out);
        else if (kind.list === 'bytes') lengthDelimited(n, x as Uint8Array, out);
        else field(n, kind.list, x, out);
      }
      return;
    }
    if (v !== undefined && v !== null) lengthDelimited(n, encodeMessage(kind.msg, v), out);
    return;
  }
  switch (kind) {
    case 'string':
      if (v) lengthDelimited(n, Buffer.from(String(v)), out);
      return;
    case 'bytes':
      if (v && v.length > 0) lengthDelimited(n, v as Uint8Array, out);
      return;
    case 'bool':
      if (v) {
        tag(n, 0, out);
        out.push(1);
      }
      return;
    default: {
      const b = BigInt(v ?? 0);
      if (b === 0n) return;
      tag(n, 0, out);
      varint(b, out);
    }
  }
}

export function encodeMessage(schema: Schema, msg: Any): Uint8Array {
  const out: number[] = [];
  if (schema.oneof) {
    // a oneof wrapper (ResponseOp): the case that is set, as the field its position numbers
    schema.oneof.cases.forEach(([key, , sub], i) => {
      if (msg?.[key] != null) lengthDelimited(i + 1, encodeMessage(sub, msg[key]), out);
    });
    return Uint8Array.from(out);
  }
  schema.fields.forEach(([name, kind], i) => {
    field(schema.numbers?.[i] ?? i + 1, kind, msg?.[keyOf(name)], out);
  });
  return Uint8Array.from(out);
}

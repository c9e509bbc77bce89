// Builds messages with every field set to a non-default value by walking protobufjs reflection types.
// Shared by the wire-compatibility and JSON mapping tests.
import * as protobuf from 'protobufjs';
import { toLong } from './int64.js';

export const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
export const UINT64 = new Set(['uint64', 'fixed64']);
const SIGNED32 = new Set(['int32', 'sint32', 'sfixed32']);
const UNSIGNED32 = new Set(['uint32', 'fixed32']);

/** Neutral sample values: bigint for 64-bit, number for 32-bit and enums, Buffer for bytes. */
export type Sample = { [field: string]: unknown };

function scalarSample(f: protobuf.Field, salt: number): unknown {
  const id = BigInt(f.id + salt);
  if (INT64.has(f.type)) return salt % 2 ? -(0x694d85e25c31920en + id) : 0x694d85e25c31920en + id; // > 2^53
  if (UINT64.has(f.type)) return 0xfedcba9876543210n + id; // > 2^63
  if (SIGNED32.has(f.type)) return -(1000 + f.id + salt);
  if (UNSIGNED32.has(f.type)) return 4_000_000_000 + f.id + salt;
  if (f.type === 'bool') return true;
  if (f.type === 'string') return `s${f.id}.${salt}-ü€<&>"\\\n`;
  if (f.type === 'bytes') return Buffer.from([0, 255, f.id & 0xff, salt & 0xff, 0x80]);
  throw new Error(`no sample for ${f.type}`);
}

/**
 * A sample of `type` with every field set to a non-default value. Oneof members cannot all be set at once,
 * so `variant` picks which member of each oneof is set; recursion stops at `depth`.
 */
export function sample(type: protobuf.Type, variant: number, depth: number): Sample {
  const out: Sample = {};
  for (const f of type.fieldsArray) {
    if (f.partOf) {
      const members = f.partOf.fieldsArray;
      if (members[variant % members.length] !== f) continue;
    }
    const one = (salt: number): unknown => {
      const rt = f.resolvedType;
      if (rt instanceof protobuf.Enum) {
        const values = Object.values(rt.values).filter((v) => v !== 0);
        return values[(f.id + salt) % values.length];
      }
      if (rt instanceof protobuf.Type) return sample(rt, variant + salt, depth - 1);
      return scalarSample(f, salt);
    };
    if (f.resolvedType instanceof protobuf.Type && depth <= 0) continue;
    out[f.name] = f.repeated ? [one(0), one(1)] : one(0);
  }
  return out;
}

/** How many samples cover every oneof member of `type`. */
export function variantsOf(t: protobuf.Type): number {
  return Math.max(1, ...t.oneofsArray.map((o) => o.fieldsArray.length));
}

/** Neutral sample -> properties for encoding; `name` maps a proto field name to the object's key. */
export function toProps(
  type: protobuf.Type,
  s: Sample,
  name: (f: protobuf.Field) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    if (!(f.name in s)) continue;
    const conv = (v: unknown): unknown => {
      if (f.resolvedType instanceof protobuf.Type) return toProps(f.resolvedType, v as Sample, name);
      if (typeof v === 'bigint') return toLong(v, UINT64.has(f.type));
      return v;
    };
    const v = s[f.name];
    out[name(f)] = Array.isArray(v) ? v.map(conv) : conv(v);
  }
  return out;
}

export function allTypes(ns: protobuf.NamespaceBase, out: protobuf.Type[] = []): protobuf.Type[] {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.push(child);
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) allTypes(child, out);
  }
  return out;
}

export const camel = (f: protobuf.Field) => protobuf.util.camelCase(f.name);
export const keep = (f: protobuf.Field) => f.name;

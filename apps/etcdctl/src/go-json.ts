// Go's encoding/json as etcdctl uses it (json.Marshal of gogoproto structs): fields in struct order,
// omitempty, uint64/int64 as exact decimal numbers, []byte as base64, enums as numbers, HTML-safe
// string escaping. Also `normalize`, which turns a decoded wire message (Long, string or number
// 64-bit values, Uint8Array bytes, missing defaults) into the in-memory form the printers read.
import { type Kind, keyOf, type Schema } from './schemas';

// biome-ignore lint/suspicious/noExplicitAny: wire messages are untyped at this edge
type Any = any;

export function toBigInt(v: unknown, unsigned = false): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  if (typeof v === 'bigint') return unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v);
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return BigInt(v);
  const l = v as { low: number; high: number; unsigned?: boolean };
  if (typeof l.low === 'number' && typeof l.high === 'number') {
    const u = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return unsigned ? u : BigInt.asIntN(64, u);
  }
  return BigInt(String(v));
}

function norm(kind: Kind, v: unknown): unknown {
  if (typeof kind === 'object') {
    if ('list' in kind) return Array.isArray(v) ? v.map((x) => norm(kind.list, x)) : [];
    return v === undefined || v === null ? undefined : normalize(kind.msg, v);
  }
  switch (kind) {
    case 'u64':
      return toBigInt(v, true);
    case 'i64':
      return toBigInt(v, false);
    case 'u32':
    case 'i32':
    case 'enum':
      return v === undefined || v === null ? 0 : Number(v);
    case 'bool':
      return Boolean(v);
    case 'string':
      return v === undefined || v === null ? '' : String(v);
    case 'bytes':
      if (v === undefined || v === null) return Buffer.alloc(0);
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      return Buffer.from(v as Uint8Array);
  }
}

/** A decoded message in printer form; unknown fields are dropped. */
export function normalize(schema: Schema, raw: Any): Any {
  const out: Any = {};
  if (schema.oneof) {
    for (const [key, , sub] of schema.oneof.cases) {
      if (raw?.[key] != null) out[key] = normalize(sub, raw[key]);
    }
    return out;
  }
  for (const [name, kind] of schema.fields) {
    const key = keyOf(name);
    out[key] = norm(kind, raw?.[key] ?? raw?.[name]);
  }
  return out;
}

function isEmpty(kind: Kind, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof kind === 'object') return 'list' in kind ? (v as unknown[]).length === 0 : false;
  switch (kind) {
    case 'u64':
    case 'i64':
      return v === 0n;
    case 'bool':
      return v === false;
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array).length === 0;
    default:
      return v === 0;
  }
}

function encodeValue(kind: Kind, v: unknown): string {
  if (typeof kind === 'object') {
    if ('list' in kind) {
      if (v === undefined || v === null) return 'null';
      return `[${(v as unknown[]).map((x) => encodeValue(kind.list, x)).join(',')}]`;
    }
    if (v === undefined || v === null) return 'null';
    return goJson(kind.msg, v);
  }
  switch (kind) {
    case 'u64':
    case 'i64':
      return String(v ?? 0n);
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return goJsonString(String(v ?? ''));
    case 'bytes':
      return v === undefined || v === null ? 'null' : `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
    default:
      return String(v ?? 0);
  }
}

/** json.Marshal of one message in printer form. */
export function goJson(schema: Schema, msg: Any): string {
  if (schema.oneof) {
    for (const [key, goName, sub] of schema.oneof.cases) {
      if (msg[key] != null) return `{"${schema.oneof.goName}":{"${goName}":${goJson(sub, msg[key])}}}`;
    }
    return `{"${schema.oneof.goName}":null}`;
  }
  const parts: string[] = [];
  for (const [name, kind] of schema.fields) {
    const v = msg[keyOf(name)];
    if (schema.omitEmpty && isEmpty(kind, v)) continue;
    parts.push(`${goJsonString(name)}:${encodeValue(kind, v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A Go struct written by hand (no omitempty, Go field names). */
export function goStruct(fields: Array<[string, string]>): string {
  return `{${fields.map(([k, v]) => `${goJsonString(k)}:${v}`).join(',')}}`;
}

/** encoding/json string escaping: HTML-safe, U+2028/2029 escaped, invalid UTF-8 as U+FFFD. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export const json = { encodeValue };

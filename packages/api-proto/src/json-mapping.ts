// The proto3 JSON mapping exactly as etcd's grpc-gateway applies it (gogo jsonpb with OrigName, no
// defaults emitted, enums by name, 64-bit integers as strings, bytes as padded base64). Requests accept
// both the original field names and the lowerCamel JSON names; unknown fields are ignored as etcd does.

import * as protobuf from 'protobufjs';

import descriptor = require('./generated/descriptor.js');

import * as generated from './generated/etcd.js';
import { Base64Error, decodeStdBase64 } from './go-base64.js';
import {
  goKind,
  goQuote,
  type JsonNode,
  JsonSyntaxError,
  parseJsonValue,
  parseJsonValues,
} from './go-json.js';
import { type Int64Like, int64String, toLong } from './int64.js';
import type { MessageType } from './method.js';

/** A request body the gateway cannot turn into a message; `message` is the text etcd would send. */
export class JsonMappingError extends Error {}

type Kind = 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'bytes' | 'enum' | 'message';

interface EnumInfo {
  goName: string;
  byName: Map<string, number>;
  byNumber: Map<number, string>;
}

interface FieldInfo {
  name: string;
  /** protoc's json_name (lowerCamel), the other spelling a request may use. */
  jsonName: string;
  prop: string;
  kind: Kind;
  repeated: boolean;
  oneof: boolean;
  enumInfo?: EnumInfo;
  messageName?: string;
}

interface MessageInfo {
  cls: new () => any;
  fields: FieldInfo[];
  /** Fields in the order jsonpb consumes them: plain fields as declared, then oneof members. */
  readOrder: FieldInfo[];
}

const KINDS: Record<string, Kind> = {
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  bool: 'bool',
  string: 'string',
  bytes: 'bytes',
};

// Built on first use, so that processes which never touch the gateway do not pay for it at startup.
let schemaRoot: protobuf.Root | undefined;
function schema(): protobuf.Root {
  if (!schemaRoot) {
    schemaRoot = protobuf.Root.fromJSON(descriptor);
    schemaRoot.resolveAll();
  }
  return schemaRoot;
}
const infos = new Map<string, MessageInfo>();
const enums = new Map<string, EnumInfo>();

/** protoc's json_name: drop underscores, upper-casing the letter after each. */
function lowerCamel(name: string): string {
  return name.replace(/_(.)/g, (_m, c: string) => c.toUpperCase());
}

/** Go's type name for a nested proto type: `etcdserverpb.RangeRequest_SortOrder`. */
function goTypeName(fullName: string): string {
  const parts = fullName.replace(/^\./, '').split('.');
  return `${parts[0]}.${parts.slice(1).join('_')}`;
}

function generatedClass(fullName: string): any {
  let node: any = generated;
  for (const part of fullName.replace(/^\./, '').split('.')) node = node?.[part];
  if (typeof node !== 'function') throw new Error(`no generated class for ${fullName}`);
  return node;
}

function enumInfo(e: protobuf.Enum): EnumInfo {
  let info = enums.get(e.fullName);
  if (!info) {
    info = {
      goName: goTypeName(e.fullName),
      byName: new Map(Object.entries(e.values)),
      byNumber: new Map(Object.entries(e.values).map(([k, v]) => [v, k])),
    };
    enums.set(e.fullName, info);
  }
  return info;
}

function messageInfo(fullName: string): MessageInfo {
  let info = infos.get(fullName);
  if (info) return info;
  const type = schema().lookupType(fullName);
  const fields: FieldInfo[] = type.fieldsArray.map((f) => {
    const resolved = f.resolvedType;
    const kind: Kind =
      resolved instanceof protobuf.Enum
        ? 'enum'
        : resolved instanceof protobuf.Type
          ? 'message'
          : KINDS[f.type]!;
    if (!kind) throw new Error(`unsupported field type ${f.type} in ${fullName}`);
    return {
      name: f.name,
      jsonName: lowerCamel(f.name),
      prop: protobuf.util.camelCase(f.name),
      kind,
      repeated: f.repeated,
      oneof: !!f.partOf,
      enumInfo: resolved instanceof protobuf.Enum ? enumInfo(resolved) : undefined,
      messageName: resolved instanceof protobuf.Type ? resolved.fullName : undefined,
    };
  });
  const readOrder = [...fields.filter((f) => !f.oneof), ...fields.filter((f) => f.oneof)];
  info = { cls: generatedClass(fullName), fields, readOrder };
  infos.set(fullName, info);
  return info;
}

/** The full proto name of a generated class, e.g. `etcdserverpb.PutRequest`. */
function fullNameOf(type: MessageType<any, any> | string): string {
  if (typeof type === 'string') return type;
  if (classNames.size === 0) indexClasses(schema());
  const found = classNames.get(type);
  if (!found) throw new Error(`not a generated etcd message class: ${(type as { name?: string }).name}`);
  return found;
}

const classNames = new Map<unknown, string>();
function indexClasses(ns: protobuf.NamespaceBase): void {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) classNames.set(generatedClass(child.fullName), child.fullName);
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) indexClasses(child);
  }
}

// ---- JSON -> message ----

function typeError(node: JsonNode | string, goType: string): JsonMappingError {
  const what = typeof node === 'string' ? node : goKind(node);
  return new JsonMappingError(`json: cannot unmarshal ${what} into Go value of type ${goType}`);
}

const INT_LIMITS: Record<string, [bigint, bigint]> = {
  uint8: [0n, 255n],
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
  int32: [-(1n << 31n), (1n << 31n) - 1n],
  uint32: [0n, (1n << 32n) - 1n],
};

/** jsonpb accepts numbers bare or quoted; either way the text must be a JSON integer literal in range. */
function readInteger(node: JsonNode, goType: 'int64' | 'uint64' | 'int32' | 'uint32' | 'uint8'): bigint {
  let literal: JsonNode = node;
  if (node.kind === 'string') {
    try {
      literal = parseJsonValue(node.value);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new JsonMappingError(e.message);
      throw e;
    }
  }
  if (literal.kind !== 'number') throw typeError(literal, goType);
  const [min, max] = INT_LIMITS[goType]!;
  if (!/^-?\d+$/.test(literal.text)) throw typeError(`number ${literal.text}`, goType);
  const v = BigInt(literal.text);
  if (v < min || v > max) throw typeError(`number ${literal.text}`, goType);
  return v;
}

function readScalar(f: FieldInfo, node: JsonNode): unknown {
  switch (f.kind) {
    case 'int64':
    case 'uint64':
      return toLong(readInteger(node, f.kind), f.kind === 'uint64');
    case 'int32':
    case 'uint32':
      return Number(readInteger(node, f.kind));
    case 'bool':
      if (node.kind !== 'bool') throw typeError(node, 'bool');
      return node.value;
    case 'string':
      if (node.kind !== 'string') throw typeError(node, 'string');
      return node.value;
    case 'bytes':
      if (node.kind === 'string') {
        try {
          return decodeStdBase64(node.value);
        } catch (e) {
          if (e instanceof Base64Error) throw new JsonMappingError(e.message);
          throw e;
        }
      }
      if (node.kind === 'array') return Buffer.from(node.items.map((i) => Number(readInteger(i, 'uint8'))));
      throw typeError(node, '[]uint8');
    case 'enum': {
      const info = f.enumInfo!;
      if (node.kind === 'string') {
        const v = info.byName.get(node.value);
        if (v === undefined)
          throw new JsonMappingError(`unknown value ${goQuote(node.value)} for enum ${info.goName}`);
        return v;
      }
      return Number(readInteger(node, 'int32'));
    }
    case 'message':
      return readMessage(messageInfo(f.messageName!), node);
  }
}

function readMessage(info: MessageInfo, node: JsonNode): any {
  const msg = new info.cls();
  if (node.kind === 'null') return msg;
  if (node.kind !== 'object') throw typeError(node, 'map[string]json.RawMessage');
  // Like jsonpb: walk the message's fields (so errors come in field order), prefer the lowerCamel spelling
  // when a body has both, and ignore keys that name no field.
  for (const f of info.readOrder) {
    const value = node.entries.get(f.jsonName) ?? node.entries.get(f.name);
    if (value === undefined || value.kind === 'null') continue;
    if (f.repeated) {
      if (value.kind !== 'array') throw typeError(value, '[]json.RawMessage');
      msg[f.prop] = value.items.map((item) => readScalar(f, item));
    } else {
      msg[f.prop] = readScalar(f, value);
    }
  }
  return msg;
}

/** Parses one message from already-read JSON. Throws JsonMappingError with etcd's error text. */
export function messageFromJsonNode<T>(type: MessageType<T, any> | string, node: JsonNode): T {
  return readMessage(messageInfo(fullNameOf(type)), node);
}

/**
 * Parses the first JSON value of `text` as a message (trailing text is ignored, as etcd's gateway does;
 * an empty body is an empty message). Throws JsonMappingError with etcd's error text.
 */
export function messageFromJson<T>(type: MessageType<T, any> | string, text: string): T {
  let values: JsonNode[];
  try {
    values = parseJsonValues(text, 1);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new JsonMappingError(e.message);
    throw e;
  }
  return messageFromJsonNode(type, values[0] ?? { kind: 'null' });
}

// ---- message -> JSON ----

function isZero(f: FieldInfo, v: any): boolean {
  switch (f.kind) {
    case 'int64':
    case 'uint64':
      return typeof v === 'object'
        ? v.low === 0 && v.high === 0
        : v === 0 || v === 0n || v === '0' || v === '';
    case 'int32':
    case 'uint32':
    case 'enum':
      return v === 0;
    case 'bool':
      return v === false;
    case 'string':
    case 'bytes':
      return v.length === 0;
    case 'message':
      return false;
  }
}

function writeScalar(f: FieldInfo, v: any): string {
  switch (f.kind) {
    case 'int64':
    case 'uint64':
      return `"${int64String(v as Int64Like, f.kind === 'uint64')}"`;
    case 'int32':
    case 'uint32':
      return typeof v === 'number' ? String(v) : String(Number(v));
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return goQuote(v);
    case 'bytes':
      return `"${Buffer.from(v.buffer ?? v, v.byteOffset ?? 0, v.byteLength ?? v.length).toString('base64')}"`;
    case 'enum': {
      const name = f.enumInfo!.byNumber.get(v);
      return name === undefined ? String(v) : `"${name}"`;
    }
    case 'message':
      return writeMessage(messageInfo(f.messageName!), v);
  }
}

function writeMessage(info: MessageInfo, msg: any): string {
  let out = '{';
  for (const f of info.fields) {
    const v = msg[f.prop];
    if (v === null || v === undefined) continue;
    let text: string;
    if (f.repeated) {
      if (v.length === 0) continue;
      text = '[';
      for (let i = 0; i < v.length; i++) text += (i ? ',' : '') + writeScalar(f, v[i]);
      text += ']';
    } else {
      // A oneof member that is set prints even when zero: its presence is the information.
      if (!f.oneof && isZero(f, v)) continue;
      text = writeScalar(f, v);
    }
    out += `${out.length > 1 ? ',' : ''}"${f.name}":${text}`;
  }
  return out + '}';
}

/** JSON text of a message (a decoded instance or a plain properties object) exactly as etcd prints it. */
export function messageToJson(type: MessageType<any, any> | string, message: object): string {
  return writeMessage(messageInfo(fullNameOf(type)), message);
}

// Wire compatibility with the .proto files shipped in the npm `etcd3` package (an independent copy of
// etcd's definitions): for every message both define, a sample with every field set is encoded by one
// side and decoded by the other, then compared field by field, in both directions.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as protobuf from 'protobufjs';

import descriptor = require('./generated/descriptor.js');

import * as generated from './generated/etcd.js';
import {
  allTypes,
  camel,
  INT64,
  keep,
  type Sample,
  sample,
  toProps,
  UINT64,
  variantsOf,
} from './message-samples.test-support.js';

const theirs = new protobuf.Root();
theirs.loadSync(join(dirname(require.resolve('etcd3/package.json')), 'proto', 'rpc.proto'), {
  keepCase: true,
});
theirs.resolveAll();
const ours = protobuf.Root.fromJSON(descriptor);
ours.resolveAll();

function ourClass(fullName: string): any {
  let node: any = generated;
  for (const part of fullName.slice(1).split('.')) node = node[part];
  return node;
}

/** A decoded message -> neutral form, reading only the fields of `type` (the sample's schema). */
function toNeutral(
  type: protobuf.Type,
  other: protobuf.Type,
  msg: any,
  name: (f: protobuf.Field) => string,
  path: string,
): Sample {
  const out: Sample = {};
  for (const f of type.fieldsArray) {
    const of = other.fields[f.name];
    assert.ok(of, `${path}.${f.name} missing on the decoding side`);
    const v = msg[name(of)];
    // Samples never hold default values, so a default here means "not on the wire" (reflection-decoded
    // messages show prototype defaults even for unset oneof members).
    if (v === null || v === undefined || isDefault(v)) continue;
    const conv = (x: any): unknown => {
      if (of.resolvedType instanceof protobuf.Type) {
        return toNeutral(f.resolvedType as protobuf.Type, of.resolvedType, x, name, `${path}.${f.name}`);
      }
      if (INT64.has(of.type) || UINT64.has(of.type)) {
        const big = (BigInt(x.high >>> 0) << 32n) | BigInt(x.low >>> 0);
        return UINT64.has(of.type) ? big : BigInt.asIntN(64, big);
      }
      if (of.type === 'bytes') return Buffer.from(x);
      return x;
    };
    if (f.repeated) {
      if (v.length) out[f.name] = v.map(conv);
    } else {
      out[f.name] = conv(v);
    }
  }
  return out;
}

function isDefault(v: any): boolean {
  if (v === 0 || v === false || v === '') return true;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && 'low' in v && 'high' in v) return v.low === 0 && v.high === 0;
  return false;
}

const theirTypes = allTypes(theirs);
const ourTypes = new Map(allTypes(ours).map((t) => [t.fullName, t]));
const shared = theirTypes.filter((t) => ourTypes.has(t.fullName));

test('every message in etcd3 exists in ours with the same field numbers, types and labels', () => {
  const missing = theirTypes.filter((t) => !ourTypes.has(t.fullName)).map((t) => t.fullName);
  assert.deepEqual(missing, []);
  assert.ok(shared.length >= 100, `only ${shared.length} shared messages`);
  for (const t of shared) {
    const o = ourTypes.get(t.fullName)!;
    for (const f of t.fieldsArray) {
      const g = o.fields[f.name];
      assert.ok(g, `${t.fullName}.${f.name} missing in ours`);
      assert.equal(g.id, f.id, `${t.fullName}.${f.name} number`);
      assert.equal(g.repeated, f.repeated, `${t.fullName}.${f.name} repeated`);
      assert.equal(
        g.resolvedType?.fullName ?? g.type,
        f.resolvedType?.fullName ?? f.type,
        `${t.fullName}.${f.name}`,
      );
      assert.equal(g.partOf?.name, f.partOf?.name, `${t.fullName}.${f.name} oneof`);
    }
  }
  for (const e of allTypesAndEnums(theirs)) {
    // etcd3 renames some enum values (Ascend for ASCEND); only the numbers travel on the wire.
    const o = ours.lookupEnum(e.fullName);
    const nums = (x: protobuf.Enum) => Object.values(x.values).sort((a, b) => a - b);
    assert.deepEqual(nums(o), nums(e), e.fullName);
  }
});

function allTypesAndEnums(ns: protobuf.NamespaceBase, out: protobuf.Enum[] = []): protobuf.Enum[] {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Enum) out.push(child);
    else if (child instanceof protobuf.Namespace || child instanceof protobuf.Type)
      allTypesAndEnums(child, out);
  }
  return out;
}

test('every service method in etcd3 exists in ours with the same types and streaming', () => {
  let n = 0;
  for (const svc of (theirs.lookup('etcdserverpb') as protobuf.Namespace).nestedArray) {
    if (!(svc instanceof protobuf.Service)) continue;
    const mine = ours.lookupService(svc.fullName);
    for (const m of svc.methodsArray) {
      const o = mine.methods[m.name];
      assert.ok(o, `${svc.fullName}/${m.name}`);
      assert.equal(o.resolvedRequestType!.fullName, m.resolvedRequestType!.fullName);
      assert.equal(o.resolvedResponseType!.fullName, m.resolvedResponseType!.fullName);
      assert.equal(!!o.requestStream, !!m.requestStream);
      assert.equal(!!o.responseStream, !!m.responseStream);
      n++;
    }
  }
  assert.ok(n >= 40, `${n} methods`);
});

test('ours -> etcd3: every shared message, every field set, decodes field by field', () => {
  let checked = 0;
  for (const t of shared) {
    const o = ourTypes.get(t.fullName)!;
    for (let v = 0; v < variantsOf(o); v++) {
      const s = sample(o, v, 3);
      const bytes = ourClass(o.fullName)
        .encode(toProps(o, s, camel))
        .finish();
      const decoded = t.decode(bytes);
      // Compare on the fields both define (ours may carry 3.5 additions etcd3 lacks).
      const expected = toNeutral(t, o, toProps(t, pick(t, s), keep), keep, t.fullName);
      assert.deepEqual(toNeutral(t, t, decoded, keep, t.fullName), expected, `${t.fullName} variant ${v}`);
      checked++;
    }
  }
  assert.ok(checked >= shared.length);
});

test('etcd3 -> ours: every shared message, every field set, decodes field by field', () => {
  let checked = 0;
  for (const t of shared) {
    const o = ourTypes.get(t.fullName)!;
    for (let v = 0; v < variantsOf(t); v++) {
      const s = sample(t, v, 3);
      const bytes = t.encode(t.fromObject(toProps(t, s, keep))).finish();
      const decoded = ourClass(o.fullName).decode(bytes);
      assert.equal(decoded.$unknowns, undefined, `${t.fullName}: ours saw unknown fields`);
      assert.deepEqual(
        toNeutral(t, o, decoded, camel, t.fullName),
        toNeutral(t, t, t.decode(bytes), keep, t.fullName),
        `${t.fullName} variant ${v}`,
      );
      checked++;
    }
  }
  assert.ok(checked >= shared.length);
});

/** The part of a sample (built from our schema) that `type` (etcd3's schema) knows about, recursively. */
function pick(type: protobuf.Type, s: Sample): Sample {
  const out: Sample = {};
  for (const f of type.fieldsArray) {
    if (!(f.name in s)) continue;
    const v = s[f.name];
    const rt = f.resolvedType;
    const conv = (x: unknown) => (rt instanceof protobuf.Type ? pick(rt, x as Sample) : x);
    out[f.name] = Array.isArray(v) ? v.map(conv) : conv(v);
  }
  return out;
}

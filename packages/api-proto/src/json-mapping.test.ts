import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protobuf from 'protobufjs';

import descriptor = require('./generated/descriptor.js');

import * as generated from './generated/etcd.js';
import { etcdserverpb, toBigInt } from './index.js';
import { messageFromJson, messageToJson } from './json-mapping.js';
import { allTypes, camel, sample, toProps, variantsOf } from './message-samples.test-support.js';

const schema = protobuf.Root.fromJSON(descriptor);
schema.resolveAll();

function generatedClass(fullName: string): any {
  let node: any = generated;
  for (const part of fullName.slice(1).split('.')) node = node[part];
  return node;
}

test('every message, every field set: binary -> JSON -> binary is lossless, with original field names', () => {
  let n = 0;
  for (const type of allTypes(schema)) {
    const cls = generatedClass(type.fullName);
    for (let v = 0; v < variantsOf(type); v++) {
      const bytes: Uint8Array = cls.encode(toProps(type, sample(type, v, 3), camel)).finish();
      const json = messageToJson(type.fullName.slice(1), cls.decode(bytes));
      const parsed = JSON.parse(json);
      for (const key of Object.keys(parsed)) assert.ok(type.fields[key], `${type.fullName}: ${key}`);
      assert.equal(
        Object.keys(parsed).length,
        type.fieldsArray.filter((f) => !f.partOf).length + type.oneofsArray.length,
      );
      const back = messageFromJson(type.fullName.slice(1), json);
      assert.deepEqual(
        Buffer.from(cls.encode(back).finish()),
        Buffer.from(bytes),
        `${type.fullName} variant ${v}`,
      );
      n++;
    }
  }
  assert.ok(n > 130, `${n} samples`);
});

test('strings are escaped as Go prints them; 64-bit values print as decimal strings', () => {
  const json = messageToJson(etcdserverpb.AuthenticateResponse, {
    header: { clusterId: 0xfedcba9876543210n as any, memberId: 1, revision: -1, raftTerm: 2 },
    token: 'a<b>&c"d\\e\n\t\u0001\u2028é😀',
  });
  assert.equal(
    json,
    '{"header":{"cluster_id":"18364758544493064720","member_id":"1","revision":"-1","raft_term":"2"},' +
      '"token":"a\\u003cb\\u003e\\u0026c\\"d\\\\e\\n\\t\\u0001\\u2028é😀"}',
  );
  const back = messageFromJson(etcdserverpb.AuthenticateResponse, json);
  assert.equal(back.token, 'a<b>&c"d\\e\n\t\u0001\u2028é😀');
  assert.equal(toBigInt(back.header!.revision!), -1n);
});

test('unknown fields and nulls are ignored; empty body and null are empty messages', () => {
  const r = messageFromJson(
    etcdserverpb.RangeRequest,
    '{"key":"YQ==","nope":[1,{"x":2}],"limit":null,"rangeEnd":null}',
  );
  assert.equal(Buffer.from(r.key).toString(), 'a');
  assert.equal(r.limit.toString(), '0');
  assert.equal(
    messageToJson(etcdserverpb.RangeRequest, messageFromJson(etcdserverpb.RangeRequest, '')),
    '{}',
  );
  assert.equal(
    messageToJson(etcdserverpb.RangeRequest, messageFromJson(etcdserverpb.RangeRequest, 'null')),
    '{}',
  );
});

test('raft proposals: InternalRaftRequest keeps its high field numbers and 64-bit IDs', () => {
  const bytes = etcdserverpb.InternalRaftRequest.encode({
    header: { ID: 0xfedcba9876543210n as any, username: 'root', authRevision: 3 },
    put: { key: Buffer.from('k'), value: Buffer.from('v') },
  }).finish();
  // Field 100 (header) is tag 802 = varint a2 06; field 4 (put) is tag 0x22.
  assert.deepEqual([...bytes.subarray(0, 2)], [0x22, 0x06]);
  assert.ok(Buffer.from(bytes).includes(Buffer.from([0xa2, 0x06])));
  const back = etcdserverpb.InternalRaftRequest.decode(bytes);
  assert.equal(toBigInt(back.header!.ID!), 0xfedcba9876543210n);
  assert.equal(Buffer.from(back.put!.value!).toString(), 'v');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mvccpb } from '@kv/api-proto';
import {
  decodeEtcdAlarmKey,
  decodeEtcdKeyValue,
  decodeEtcdMember,
  encodeEtcdAlarmKey,
  encodeEtcdKeyValue,
  encodeEtcdMember,
  etcdRevisionKey,
  parseEtcdRevisionKey,
} from './etcd-records.js';

test('KeyValue bytes are what etcd 3.4 wrote for the same put (read from a real snapshot)', () => {
  const kv = {
    key: Buffer.from('a'),
    createRevision: 2,
    modRevision: 2,
    version: 1,
    value: Buffer.from('1'),
    lease: 0n,
  };
  assert.equal(encodeEtcdKeyValue(kv).toString('hex'), '0a01611002180220012a0131');
  // a tombstone holds only the key
  const tomb = { ...kv, createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0) };
  assert.equal(encodeEtcdKeyValue(tomb).toString('hex'), '0a0161');
});

test('KeyValue round trips, and protobufjs reads it the same', () => {
  const kv = {
    key: Buffer.from('/registry/x'),
    createRevision: 2 ** 40 + 3,
    modRevision: 2 ** 52,
    version: 300,
    value: Buffer.alloc(5000, 7),
    lease: 0x694d85e25c31920en,
  };
  const b = encodeEtcdKeyValue(kv);
  assert.deepEqual(decodeEtcdKeyValue(b), kv);
  const pb = mvccpb.KeyValue.decode(b);
  assert.equal(String(pb.modRevision), String(2 ** 52));
  assert.equal(BigInt(String(pb.lease)), 0x694d85e25c31920en);
});

test('revision keys: 17 bytes, and 18 with the tombstone mark', () => {
  assert.equal(etcdRevisionKey(4, 0, true).toString('hex'), '00000000000000045f000000000000000074');
  assert.deepEqual(parseEtcdRevisionKey(etcdRevisionKey(2 ** 50, 7, false)), {
    main: 2 ** 50,
    sub: 7,
    tombstone: false,
  });
  assert.deepEqual(parseEtcdRevisionKey(etcdRevisionKey(9, 1, true)), { main: 9, sub: 1, tombstone: true });
});

test('members and alarms as etcd stores them', () => {
  const m = {
    id: 0xbdae9bbc11dd390dn,
    name: 'e1',
    peerUrls: ['http://127.0.0.1:23801'],
    clientUrls: ['http://127.0.0.1:23791'],
    isLearner: false,
  };
  const [k, v] = encodeEtcdMember(m);
  assert.equal(k.toString(), 'bdae9bbc11dd390d');
  assert.equal(
    v.toString(),
    '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"name":"e1","clientURLs":["http://127.0.0.1:23791"]}',
  );
  assert.deepEqual(decodeEtcdMember(k, v), m);
  assert.deepEqual(decodeEtcdAlarmKey(encodeEtcdAlarmKey(0xbdae9bbc11dd390dn, 1)), {
    memberId: 0xbdae9bbc11dd390dn,
    alarm: 1,
  });
});

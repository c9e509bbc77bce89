import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdserverpb, toBigInt, toLong } from '@kv/api-proto';
import * as wire from './kv-wire';

const big = 2n ** 63n - 5n;

test('requests encode as the generated code decodes them', () => {
  const range = etcdserverpb.RangeRequest.decode(
    wire.encodeRange({
      key: Buffer.from('a'),
      rangeEnd: Buffer.from([0]),
      limit: 7,
      revision: big,
      sortOrder: 2,
      sortTarget: 4,
      serializable: true,
      keysOnly: true,
      countOnly: false,
    }),
  );
  assert.deepEqual(Buffer.from(range.key), Buffer.from('a'));
  assert.deepEqual(Buffer.from(range.rangeEnd), Buffer.from([0]));
  assert.equal(toBigInt(range.limit), 7n);
  assert.equal(toBigInt(range.revision), big);
  assert.equal(range.sortOrder, 2);
  assert.equal(range.sortTarget, 4);
  assert.equal(range.serializable, true);
  assert.equal(range.keysOnly, true);
  assert.equal(range.countOnly, false);

  const put = etcdserverpb.PutRequest.decode(
    wire.encodePut({
      key: Buffer.from('k'),
      value: Buffer.from('v'.repeat(300)),
      lease: '-2',
      prevKv: true,
      ignoreValue: false,
      ignoreLease: true,
    }),
  );
  assert.equal(Buffer.from(put.value).toString(), 'v'.repeat(300));
  assert.equal(toBigInt(put.lease), -2n);
  assert.equal(put.prevKv, true);
  assert.equal(put.ignoreLease, true);

  const del = etcdserverpb.DeleteRangeRequest.decode(
    wire.encodeDeleteRange({ key: Buffer.from('p'), rangeEnd: Buffer.from('q'), prevKv: true }),
  );
  assert.equal(Buffer.from(del.rangeEnd).toString(), 'q');
  assert.equal(del.prevKv, true);
});

test('responses decode as the generated code encodes them', () => {
  const header = { clusterId: toLong(2n ** 64n - 1n, true), memberId: 9, revision: toLong(big), raftTerm: 2 };
  const kv = {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    createRevision: 3,
    modRevision: 4,
    version: 2,
    lease: 5,
  };
  const range = wire.decode(
    wire.RangeResponse,
    Buffer.from(etcdserverpb.RangeResponse.encode({ header, kvs: [kv, kv], more: true, count: 12 }).finish()),
  );
  assert.deepEqual(range.header, { clusterId: 2n ** 64n - 1n, memberId: 9n, revision: big, raftTerm: 2n });
  assert.equal(range.kvs.length, 2);
  assert.deepEqual(range.kvs[1], {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    createRevision: 3n,
    modRevision: 4n,
    version: 2n,
    lease: 5n,
  });
  assert.equal(range.more, true);
  assert.equal(range.count, 12n);

  const put = wire.decode(
    wire.PutResponse,
    Buffer.from(etcdserverpb.PutResponse.encode({ header, prevKv: kv }).finish()),
  );
  assert.equal(put.prevKv.version, 2n);

  const del = wire.decode(
    wire.DeleteRangeResponse,
    Buffer.from(etcdserverpb.DeleteRangeResponse.encode({ header, deleted: 1, prevKvs: [kv] }).finish()),
  );
  assert.equal(del.deleted, 1n);
  assert.equal(del.prevKvs[0].key.toString(), 'k');
});

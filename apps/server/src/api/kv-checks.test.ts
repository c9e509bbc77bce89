import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPut, checkRange, checkTxn } from './kv-checks';

const b = (s: string) => Buffer.from(s);
const limits = { maxTxnOps: 4 };
const put = (k: string) => ({ requestPut: { key: b(k), value: b('v') } });
const del = (k: string, end?: string) => ({
  requestDeleteRange: { key: b(k), rangeEnd: end ? b(end) : undefined },
});
const txn = (success: object[], failure: object[] = []) => ({ requestTxn: { success, failure } });
const msg = (f: () => void) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

describe("etcd's KV request checks", () => {
  it('rejects empty keys and misuse of ignore_value / ignore_lease', () => {
    assert.equal(
      msg(() => checkRange({ key: b('') })),
      'etcdserver: key is not provided',
    );
    assert.equal(
      msg(() => checkPut({ key: b('') })),
      'etcdserver: key is not provided',
    );
    assert.equal(
      msg(() => checkPut({ key: b('k'), value: b('v'), ignoreValue: true })),
      'etcdserver: value is provided',
    );
    assert.equal(
      msg(() => checkPut({ key: b('k'), lease: 5, ignoreLease: true })),
      'etcdserver: lease is provided',
    );
    assert.equal(
      msg(() => checkPut({ key: b('k'), ignoreValue: true, ignoreLease: true })),
      'ok',
    );
    // etcd 3.4 takes an unknown sort order (and sorts nothing); an unknown target makes it panic
    assert.equal(
      msg(() => checkRange({ key: b('k'), sortOrder: 7 as any })),
      'ok',
    );
    assert.equal(
      msg(() => checkRange({ key: b('k'), sortTarget: 7 as any })),
      'etcdserver: invalid sort option',
    );
  });

  it('limits the operations of a txn', () => {
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), put('b'), put('c'), put('d')] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), put('b'), put('c'), put('d'), put('e')] }, limits)),
      'etcdserver: too many operations in txn request',
    );
    // a nested txn gets the budget its parent's widest list left: 4 - 2 = 2
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), txn([put('b'), put('c')])] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), txn([put('b'), put('c'), put('d')])] }, limits)),
      'etcdserver: too many operations in txn request',
    );
  });

  it("checks every operation before the duplicate-key rule, as etcd's gRPC layer does", () => {
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), put('a'), put('')] }, limits)),
      'etcdserver: key is not provided',
    );
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), put('a'), {}] }, limits)),
      'etcdserver: key not found',
    );
  });

  it('refuses a branch that writes a key twice, also through deletes and nested txns', () => {
    const dup = 'etcdserver: duplicate key given in txn request';
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), put('a')] }, limits)),
      dup,
    );
    assert.equal(
      msg(() => checkTxn({ success: [put('a')], failure: [put('a')] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [del('a', 'c'), put('b')] }, limits)),
      dup,
    );
    assert.equal(
      msg(() => checkTxn({ success: [del('a', 'c'), put('c')] }, limits)),
      'ok',
    );
    // etcd 3.4 compares a delete's range_end as plain bytes here, so "\0" (from key) covers nothing
    assert.equal(
      msg(() => checkTxn({ success: [del('a', '\0'), put('zzz')] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [del('a', '\0'), put('a')] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [put('a'), txn([put('a')])] }, limits)),
      dup,
    );
    // then/else of a nested txn are exclusive, so they may write the same key
    assert.equal(
      msg(() => checkTxn({ success: [txn([put('x')], [put('x')])] }, limits)),
      'ok',
    );
    assert.equal(
      msg(() => checkTxn({ success: [txn([del('x')]), put('x')] }, limits)),
      dup,
    );
  });
});

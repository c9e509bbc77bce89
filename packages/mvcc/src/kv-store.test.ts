import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Backend } from './backend';
import { ErrCompacted, ErrDuplicateKey, ErrFutureRev, ErrKeyNotFound } from './errors';
import type { KeyValue } from './key-value';
import { KVStore } from './kv-store';
import { CompareResult, CompareTarget, SortOrder, SortTarget } from './request';
import { tempDir } from './test-dir';

const b = (s: string): Buffer => Buffer.from(s);
const str = (u: Uint8Array): string => Buffer.from(u).toString();
const keys = (kvs: KeyValue[]): string[] => kvs.map((kv) => str(kv.key));
const ZERO = Buffer.from([0]);

async function openStore(path: string): Promise<KVStore> {
  return KVStore.open(await Backend.open(path));
}

describe('KVStore', () => {
  const dir = tempDir();
  let n = 0;
  const fresh = () => openStore(`${dir.path}/${n++}`);
  after(() => dir.remove());

  test('put assigns revisions, versions and creation revisions', async () => {
    const s = await fresh();
    assert.equal(s.rev, 1);
    assert.equal(s.put({ key: b('a'), value: b('1') }).revision, 2);
    assert.equal(s.put({ key: b('a'), value: b('2') }).revision, 3);
    assert.equal(s.put({ key: b('b'), value: b('x'), lease: 7n }).revision, 4);
    const r = s.range({ key: b('a') });
    assert.equal(r.revision, 4);
    assert.equal(r.count, 1);
    assert.equal(r.more, false);
    const kv = r.kvs[0];
    assert.deepEqual(
      [str(kv.key), str(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease],
      ['a', '2', 2, 3, 2, 0n],
    );
    assert.equal(s.range({ key: b('b') }).kvs[0].lease, 7n);
    // history is readable at past revisions
    assert.equal(str(s.range({ key: b('a'), revision: 2 }).kvs[0].value), '1');
    assert.equal(s.range({ key: b('b'), revision: 3 }).kvs.length, 0);
    assert.throws(() => s.range({ key: b('a'), revision: 5 }), ErrFutureRev);
    assert.throws(() => s.range({ key: b('a'), revision: 5 }), {
      message: 'mvcc: required revision is a future revision',
    });
    await s.close();
  });

  test('range: range_end, "\\0", limit, more, count, keys_only, count_only', async () => {
    const s = await fresh();
    for (const k of ['a', 'b', 'c', 'd', 'e']) s.put({ key: b(k), value: b(`v${k}`) });
    assert.deepEqual(keys(s.range({ key: b('b'), rangeEnd: b('d') }).kvs), ['b', 'c']);
    assert.deepEqual(keys(s.range({ key: b('c'), rangeEnd: ZERO }).kvs), ['c', 'd', 'e']);
    assert.deepEqual(keys(s.range({ key: ZERO, rangeEnd: ZERO }).kvs), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(keys(s.range({ key: b('d'), rangeEnd: b('b') }).kvs), []);
    const lim = s.range({ key: b('a'), rangeEnd: ZERO, limit: 2 });
    assert.deepEqual([keys(lim.kvs), lim.count, lim.more], [['a', 'b'], 5, true]);
    const exact = s.range({ key: b('a'), rangeEnd: ZERO, limit: 5 });
    assert.deepEqual([exact.kvs.length, exact.count, exact.more], [5, 5, false]);
    const ko = s.range({ key: b('a'), rangeEnd: b('c'), keysOnly: true });
    assert.deepEqual(
      ko.kvs.map((kv) => kv.value.length),
      [0, 0],
    );
    assert.equal(ko.kvs[0].modRevision, 2);
    const co = s.range({ key: b('a'), rangeEnd: ZERO, countOnly: true, limit: 1 });
    assert.deepEqual([co.kvs.length, co.count, co.more], [0, 5, false]);
    await s.close();
  });

  test('range: sorting and revision filters (count is before filters, as etcd)', async () => {
    const s = await fresh();
    s.put({ key: b('a'), value: b('3') }); // 2
    s.put({ key: b('b'), value: b('1') }); // 3
    s.put({ key: b('c'), value: b('2') }); // 4
    s.put({ key: b('a'), value: b('4') }); // 5
    const all = { key: b('a'), rangeEnd: ZERO };
    assert.deepEqual(keys(s.range({ ...all, sortOrder: SortOrder.DESCEND }).kvs), ['c', 'b', 'a']);
    assert.deepEqual(keys(s.range({ ...all, sortTarget: SortTarget.VALUE }).kvs), ['b', 'c', 'a']);
    assert.deepEqual(
      keys(s.range({ ...all, sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND }).kvs),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(
      keys(s.range({ ...all, sortTarget: SortTarget.CREATE, sortOrder: SortOrder.ASCEND }).kvs),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      keys(s.range({ ...all, sortTarget: SortTarget.VERSION, sortOrder: SortOrder.DESCEND }).kvs)[0],
      'a',
    );
    const sortedLimit = s.range({
      ...all,
      sortTarget: SortTarget.VALUE,
      sortOrder: SortOrder.DESCEND,
      limit: 2,
    });
    assert.deepEqual([keys(sortedLimit.kvs), sortedLimit.more, sortedLimit.count], [['a', 'c'], true, 3]);
    const minMod = s.range({ ...all, minModRevision: 4 });
    assert.deepEqual([keys(minMod.kvs), minMod.count], [['a', 'c'], 3]);
    assert.deepEqual(keys(s.range({ ...all, maxModRevision: 3 }).kvs), ['b']);
    assert.deepEqual(keys(s.range({ ...all, minCreateRevision: 3 }).kvs), ['b', 'c']);
    assert.deepEqual(keys(s.range({ ...all, maxCreateRevision: 3 }).kvs), ['a', 'b']);
    // limit applies after the filters
    const fl = s.range({ ...all, minCreateRevision: 3, limit: 1 });
    assert.deepEqual([keys(fl.kvs), fl.more, fl.count], [['b'], true, 3]);
    await s.close();
  });

  test('deleteRange leaves tombstones; recreation starts a new generation', async () => {
    const s = await fresh();
    s.put({ key: b('a'), value: b('1') }); // 2
    s.put({ key: b('b'), value: b('2') }); // 3
    const d = s.deleteRange({ key: b('a'), rangeEnd: b('c'), prevKv: true });
    assert.deepEqual([d.deleted, d.revision, keys(d.prevKvs)], [2, 4, ['a', 'b']]);
    assert.equal(s.range({ key: b('a'), rangeEnd: ZERO }).count, 0);
    // nothing to delete: no new revision
    const none = s.deleteRange({ key: b('a') });
    assert.deepEqual([none.deleted, none.revision, s.rev], [0, 4, 4]);
    assert.equal(s.range({ key: b('a'), revision: 3 }).kvs.length, 1);
    s.put({ key: b('a'), value: b('again') }); // 5
    const kv = s.range({ key: b('a') }).kvs[0];
    assert.deepEqual([kv.createRevision, kv.version, kv.modRevision], [5, 1, 5]);
    await s.close();
  });

  test('put: prev_kv, ignore_value, ignore_lease', async () => {
    const s = await fresh();
    assert.equal(s.put({ key: b('k'), value: b('v1'), prevKv: true }).prevKv, undefined);
    const p = s.put({ key: b('k'), value: b('v2'), lease: 5n, prevKv: true });
    assert.equal(str(p.prevKv?.value ?? b('')), 'v1');
    s.put({ key: b('k'), value: b('v3'), ignoreLease: true });
    assert.equal(s.range({ key: b('k') }).kvs[0].lease, 5n);
    s.put({ key: b('k'), ignoreValue: true, lease: 9n });
    const kv = s.range({ key: b('k') }).kvs[0];
    assert.deepEqual([str(kv.value), kv.lease, kv.version], ['v3', 9n, 4]);
    const rev = s.rev;
    assert.throws(() => s.put({ key: b('missing'), ignoreValue: true }), ErrKeyNotFound);
    assert.throws(() => s.put({ key: b('missing'), ignoreLease: true }), {
      message: 'etcdserver: key not found',
    });
    assert.equal(s.rev, rev);
    // the server's lease check runs before anything is written
    const err = new Error('etcdserver: requested lease not found');
    assert.throws(() => s.put({ key: b('x'), value: b('1'), lease: 3n }, { checkLease: () => err }), err);
    assert.equal(s.rev, rev);
    await s.close();
  });

  test("etcd 3.4's check order for puts, nested txn revisions, and an unknown sort order", async () => {
    const s = await fresh();
    s.put({ key: b('b'), value: b('1') });
    s.put({ key: b('a'), value: b('1') });
    const err = new Error('etcdserver: requested lease not found');
    const checks = { checkLease: () => err };
    // alone: the unknown lease is reported before the missing key
    assert.throws(() => s.put({ key: b('missing'), ignoreValue: true, lease: 3n }, checks), err);
    // inside a txn: the missing key first
    const inTxn = { success: [{ put: { key: b('missing'), ignoreValue: true, lease: 3n } }] };
    assert.throws(() => s.txn(inTxn, checks), ErrKeyNotFound);
    // a nested txn's response carries no revision of its own (etcd leaves its header empty)
    const t = s.txn({ success: [{ txn: { success: [{ put: { key: b('c'), value: b('1') } }] } }] });
    assert.equal(t.revision, 4);
    const nested = t.responses[0] as { txn: { revision: number } };
    assert.equal(nested.txn.revision, 0);
    // an order that is neither ASCEND nor DESCEND leaves the keys in index order
    const r = s.range({
      key: b('a'),
      rangeEnd: ZERO,
      sortOrder: 4 as 0,
      sortTarget: SortTarget.MOD,
      limit: 2,
    });
    assert.deepEqual(keys(r.kvs), ['a', 'b']);
    assert.equal(r.more, true);
    // a txn range at a negative revision reads the current one until something is compacted
    const neg = s.txn({ success: [{ range: { key: b('a'), revision: -1 } }] });
    assert.equal((neg.responses[0] as { range: { kvs: KeyValue[] } }).range.kvs.length, 1);
    await s.close();
  });

  test('txn: every compare target and result, over ranges and missing keys', async () => {
    const s = await fresh();
    s.put({ key: b('a'), value: b('m'), lease: 4n }); // 2
    s.put({ key: b('a'), value: b('m') }); // 3 -> version 2, create 2, mod 3, lease 0
    s.put({ key: b('b'), value: b('z') }); // 4
    const cmp = (target: number, result: number, field: object, key = 'a', rangeEnd?: Buffer) =>
      s.txn({ compare: [{ key: b(key), rangeEnd, target: target as 0, result: result as 0, ...field }] })
        .succeeded;
    const { VERSION, CREATE, MOD, VALUE, LEASE } = CompareTarget;
    const { EQUAL, GREATER, LESS, NOT_EQUAL } = CompareResult;
    assert.equal(cmp(VERSION, EQUAL, { version: 2 }), true);
    assert.equal(cmp(VERSION, GREATER, { version: 1 }), true);
    assert.equal(cmp(VERSION, LESS, { version: 2 }), false);
    assert.equal(cmp(VERSION, NOT_EQUAL, { version: 3 }), true);
    assert.equal(cmp(CREATE, EQUAL, { createRevision: 2 }), true);
    assert.equal(cmp(CREATE, LESS, { createRevision: 3 }), true);
    assert.equal(cmp(MOD, EQUAL, { modRevision: 3 }), true);
    assert.equal(cmp(MOD, GREATER, { modRevision: 3 }), false);
    assert.equal(cmp(VALUE, EQUAL, { value: b('m') }), true);
    assert.equal(cmp(VALUE, LESS, { value: b('n') }), true);
    assert.equal(cmp(VALUE, GREATER, { value: b('ma') }), false);
    assert.equal(cmp(LEASE, EQUAL, { lease: 0n }), true);
    assert.equal(cmp(LEASE, NOT_EQUAL, { lease: 4n }), true);
    // missing key: zero values, except VALUE which never matches
    assert.equal(cmp(VERSION, EQUAL, { version: 0 }, 'nope'), true);
    assert.equal(cmp(CREATE, EQUAL, { createRevision: 0 }, 'nope'), true);
    assert.equal(cmp(VALUE, EQUAL, { value: b('') }, 'nope'), false);
    assert.equal(cmp(VALUE, NOT_EQUAL, { value: b('x') }, 'nope'), false);
    // a range compare holds only if every key satisfies it
    assert.equal(cmp(MOD, GREATER, { modRevision: 1 }, 'a', b('c')), true);
    assert.equal(cmp(MOD, GREATER, { modRevision: 3 }, 'a', b('c')), false);
    assert.equal(cmp(VALUE, NOT_EQUAL, { value: b('q') }, 'a', ZERO), true);
    await s.close();
  });

  test('txn: branches, nested txns, one revision, reads see earlier writes', async () => {
    const s = await fresh();
    s.put({ key: b('x'), value: b('1') }); // 2
    const r = s.txn({
      compare: [{ key: b('x'), target: CompareTarget.VALUE, result: CompareResult.EQUAL, value: b('1') }],
      success: [
        { put: { key: b('y'), value: b('new') } },
        { range: { key: b('y') } },
        { deleteRange: { key: b('x'), prevKv: true } },
        {
          txn: {
            compare: [
              { key: b('x'), target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: 1 },
            ],
            success: [{ put: { key: b('z'), value: b('nested') } }],
            failure: [{ put: { key: b('w'), value: b('no') } }],
          },
        },
      ],
      failure: [{ put: { key: b('f'), value: b('fail') } }],
    });
    assert.equal(r.succeeded, true);
    assert.equal(r.revision, 3);
    assert.equal(s.rev, 3);
    const [put, range, del, nested] = r.responses as [
      { put: { revision: number } },
      { range: { kvs: KeyValue[] } },
      { deleteRange: { deleted: number; prevKvs: KeyValue[] } },
      { txn: { succeeded: boolean } },
    ];
    assert.equal(put.put.revision, 3);
    assert.equal(str(range.range.kvs[0].value), 'new');
    assert.equal(del.deleteRange.deleted, 1);
    assert.equal(str(del.deleteRange.prevKvs[0].value), '1');
    // nested compares see the state before the txn wrote anything (x still at version 1)
    assert.equal(nested.txn.succeeded, true);
    assert.equal(str(s.range({ key: b('z') }).kvs[0].value), 'nested');
    const subs = s.range({ key: b('a'), rangeEnd: ZERO }).kvs.map((kv) => kv.modRevision);
    assert.deepEqual(subs, [3, 3]);
    // failure branch
    const f = s.txn({
      compare: [{ key: b('x'), target: CompareTarget.VERSION, result: CompareResult.GREATER, version: 0 }],
      success: [{ put: { key: b('s'), value: b('1') } }],
      failure: [{ range: { key: b('y') } }],
    });
    assert.deepEqual([f.succeeded, f.revision, s.rev], [false, 3, 3]);
    await s.close();
  });

  test('txn: a branch may not write the same key twice', async () => {
    const s = await fresh();
    const dup = (success: object[]) => () => s.txn({ success: success as never });
    assert.throws(dup([{ put: { key: b('a') } }, { put: { key: b('a') } }]), ErrDuplicateKey);
    assert.throws(dup([{ deleteRange: { key: b('a'), rangeEnd: b('c') } }, { put: { key: b('b') } }]), {
      message: 'etcdserver: duplicate key given in txn request',
    });
    assert.throws(
      dup([{ put: { key: b('a') } }, { txn: { success: [{ put: { key: b('a') } }] } }]),
      ErrDuplicateKey,
    );
    // then/else of a nested txn exclude each other
    s.txn({
      success: [{ txn: { success: [{ put: { key: b('a') } }], failure: [{ put: { key: b('a') } }] } }],
    });
    // two deletes may overlap
    s.txn({
      success: [{ deleteRange: { key: b('a') } }, { deleteRange: { key: b('a'), rangeEnd: b('b') } }],
    });
    assert.equal(s.rev, 3);
    await s.close();
  });

  test('writes are readable before commit; commit persists the consistent index; reopen rebuilds the index', async () => {
    const path = `${dir.path}/reopen`;
    let s = await openStore(path);
    s.put({ key: b('a'), value: b('1') }); // 2
    s.put({ key: b('b'), value: b('1') }); // 3
    s.deleteRange({ key: b('a') }); // 4
    s.put({ key: b('a'), value: b('2') }); // 5
    s.txn({ success: [{ put: { key: b('c'), value: b('x') } }, { put: { key: b('d'), value: b('y') } }] }); // 6
    assert.equal(str(s.range({ key: b('c') }).kvs[0].value), 'x');
    assert.equal(s.backend.pendingCount > 0, true);
    s.commit(42);
    assert.equal(s.backend.pendingCount, 0);
    assert.equal(s.consistentIndex, 42);
    await s.close();
    s = await openStore(path);
    assert.equal(s.consistentIndex, 42);
    assert.equal(s.rev, 6);
    const kv = s.range({ key: b('a') }).kvs[0];
    assert.deepEqual([str(kv.value), kv.createRevision, kv.version], ['2', 5, 1]);
    assert.equal(str(s.range({ key: b('a'), revision: 3 }).kvs[0].value), '1');
    assert.equal(s.range({ key: b('a'), revision: 4 }).kvs.length, 0);
    assert.deepEqual(keys(s.range({ key: b('a'), rangeEnd: ZERO }).kvs), ['a', 'b', 'c', 'd']);
    assert.equal(s.put({ key: b('e'), value: b('1') }).revision, 7);
    await s.close();
  });

  test('a read transaction kept across later writes still reads its own revision', async () => {
    const s = await fresh();
    for (const k of ['a', 'b', 'c']) s.put({ key: b(k), value: b('1') });
    const r = s.read();
    s.deleteRange({ key: b('b') });
    s.put({ key: b('d'), value: b('1') });
    const res = r.range(b('a'), ZERO, { limit: 1 });
    assert.deepEqual([keys(res.kvs), res.count], [['a'], 3]);
    assert.deepEqual(keys(r.range(b('a'), ZERO).kvs), ['a', 'b', 'c']);
    await s.close();
  });

  test('onWrite reports each changing write transaction once, with its events', async () => {
    const s = await fresh();
    const seen: string[] = [];
    const off = s.onWrite((rev, events) =>
      seen.push(`${rev}:${events.map((e) => `${e.type} ${str(e.kv.key)} ${e.kv.lease}`).join(',')}`),
    );
    s.put({ key: b('a'), value: b('1'), lease: 3n });
    s.deleteRange({ key: b('zz') }); // nothing deleted: no call
    s.txn({ success: [{ put: { key: b('b'), value: b('2') } }, { deleteRange: { key: b('a') } }] });
    off();
    s.put({ key: b('c'), value: b('3') });
    assert.deepEqual(seen, ['2:PUT a 3', '3:PUT b 0,DELETE a 0']);
    await s.close();
  });

  describe('compaction', () => {
    let s: KVStore;
    before(async () => {
      s = await fresh();
    });
    after(() => s.close());

    test("compacted revisions fail with etcd's error; latest values survive", async () => {
      s.put({ key: b('a'), value: b('1') }); // 2
      s.put({ key: b('a'), value: b('2') }); // 3
      s.put({ key: b('b'), value: b('1') }); // 4
      s.deleteRange({ key: b('b') }); // 5
      s.put({ key: b('c'), value: b('1') }); // 6
      s.commit(1);
      const done = s.compact(5);
      s.commit(2);
      await done;
      assert.throws(() => s.range({ key: b('a'), revision: 4 }), ErrCompacted);
      assert.throws(() => s.range({ key: b('a'), revision: 4 }), {
        message: 'mvcc: required revision has been compacted',
      });
      assert.equal(str(s.range({ key: b('a'), revision: 5 }).kvs[0].value), '2');
      assert.equal(s.range({ key: b('b'), revision: 5 }).kvs.length, 0);
      assert.deepEqual(keys(s.range({ key: b('a'), rangeEnd: ZERO }).kvs), ['a', 'c']);
      assert.throws(() => s.compact(5), ErrCompacted);
      assert.throws(() => s.compact(100), ErrFutureRev);
      // only the kept rows remain in RocksDB: a@3 and c@6
      const rows = [...s.keys.iterate()].length;
      assert.equal(rows, 2);
    });
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { Backend } from './backend';
import { KVStore } from './kv-store';
import { tempDir } from './test-dir';

const dir = tempDir();
after(() => dir.remove());

test('namespaces share one pending batch that lands atomically with the store changes', async () => {
  const path = `${dir.path}/ns`;
  const backend = await Backend.open(path);
  const store = await KVStore.open(backend);
  const lease = backend.namespace('lease');
  store.put({ key: Buffer.from('k'), value: Buffer.from('v'), lease: 5n });
  lease.put(Buffer.from('5'), Buffer.from('ttl=10'));
  // nothing is in RocksDB until the commit
  assert.equal(lease.get(Buffer.from('5')), undefined);
  assert.ok(backend.pendingCount >= 2);
  store.commit(3);
  assert.equal(lease.get(Buffer.from('5'))?.toString(), 'ttl=10');
  // an uncommitted batch is lost on close? no: close commits what is pending
  lease.put(Buffer.from('6'), Buffer.from('ttl=20'));
  lease.del(Buffer.from('5'));
  await store.close();
  const again = await Backend.open(path);
  const ns = again.namespace('lease');
  assert.deepEqual(
    [...ns.iterate()].map(([k, v]) => `${k}=${v}`),
    ['6=ttl=20'],
  );
  // namespaces do not see each other's keys
  assert.equal([...again.namespace('leas').iterate()].length, 0);
  assert.equal([...again.namespace('meta').iterate()].length > 0, true);
  assert.ok(again.approximateSize() > 0);
  // the whole-backend hash ignores meta (consistent index) and changes with any other row
  const h = again.hash();
  again.namespace('meta').put(Buffer.from('consistent_index'), Buffer.alloc(8, 1));
  again.commit();
  assert.equal(again.hash(), h);
  ns.put(Buffer.from('7'), Buffer.from('x'));
  again.commit();
  assert.notEqual(again.hash(), h);
  await again.close();
});

test('iterate honours bounds, reverse order and chunking', async () => {
  const backend = await Backend.open(`${dir.path}/it`);
  const ns = backend.namespace('t');
  for (let i = 0; i < 25; i++) ns.put(Buffer.from([i]), Buffer.from(String(i)));
  backend.commit();
  const keys = (o: object) => [...ns.iterate(o)].map(([k]) => k[0]);
  assert.deepEqual(keys({ gte: Buffer.from([5]), lt: Buffer.from([9]), chunk: 2 }), [5, 6, 7, 8]);
  assert.deepEqual(keys({ reverse: true, gte: Buffer.from([20]) }), [24, 23, 22, 21, 20]);
  assert.deepEqual(
    ns.getMany([Buffer.from([1]), Buffer.from([99])]).map((v) => v?.toString()),
    ['1', undefined],
  );
  await backend.close();
});

test('approximateSize grows with the data written, not with memtable arena blocks', async () => {
  const backend = await Backend.open(`${dir.path}/size`);
  const ns = backend.namespace('key');
  const before = backend.approximateSize();
  ns.put(Buffer.from('a'), Buffer.alloc(32 * 1024, 1));
  backend.commit();
  const after1 = backend.approximateSize();
  assert.ok(after1 - before >= 32 * 1024, `grew by ${after1 - before}`);
  assert.ok(after1 - before < 128 * 1024, `one 32 KiB put must not count as ${after1 - before} bytes`);
  await backend.close();
  const again = await Backend.open(`${dir.path}/size`);
  assert.ok(again.approximateSize() >= 32 * 1024);
  await again.close();
});

// ---------------------------------------------------------------- defragment

const all = { key: Buffer.from([0]), rangeEnd: Buffer.from([0]) };
const state = (store: KVStore) =>
  store
    .range(all)
    .kvs.map((kv) => `${kv.key}@${kv.modRevision}=${kv.value.length}:${kv.value.subarray(0, 8)}`);

/** 20 keys overwritten `rounds` times with 4 KiB values, committed every 10 puts. */
function overwrite(store: KVStore, rounds: number, index: { n: number }): void {
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < 20; k++) {
      store.put({ key: Buffer.from(`k${k}`), value: Buffer.alloc(4096, `${r}-${k}|`), lease: 0n });
      if (++index.n % 10 === 0) store.commit(index.n);
    }
  store.commit(index.n);
}

test('defragment after a compaction reclaims the space, keeps every row, and survives a reopen', async () => {
  const path = `${dir.path}/defrag`;
  const backend = await Backend.open(path);
  const store = await KVStore.open(backend);
  const index = { n: 0 };
  overwrite(store, 25, index); // 500 puts of 4 KiB, 20 live
  const full = backend.sizes();
  assert.ok(full.total > 500 * 4096, `total ${full.total}`);
  assert.ok(full.inUse >= full.total * 0.9, `nothing deleted yet: in use ${full.inUse} of ${full.total}`);
  const compacted = store.compact(store.rev);
  store.commit(++index.n);
  await compacted;
  const afterCompaction = backend.sizes();
  // like bbolt's free pages: the size stays, what is in use drops to about the live rows
  assert.ok(afterCompaction.total >= full.total, `${afterCompaction.total} < ${full.total}`);
  assert.ok(afterCompaction.inUse < 40 * 4096, `in use ${afterCompaction.inUse}`);
  const before = state(store);
  const hash = store.hashKV();
  const r = await backend.defragment();
  assert.equal(r.before.total, afterCompaction.total);
  assert.ok(r.after.total < 40 * 4096, `after defragment: ${JSON.stringify(r)}`);
  assert.ok(r.after.inUse <= r.after.total && r.after.inUse > 20 * 4096, JSON.stringify(r.after));
  assert.deepEqual(state(store), before);
  assert.deepEqual(store.hashKV(), hash);
  // the old database's files are gone; one generation remains
  assert.deepEqual(readdirSync(path).sort(), ['ACTIVE', 'gen-1']);
  // writes after the switch land in the new database
  store.put({ key: Buffer.from('after'), value: Buffer.from('x'), lease: 0n });
  store.commit(++index.n);
  const expected = state(store);
  const hashAfter = store.hashKV();
  await store.close();
  const again = await KVStore.open(await Backend.open(path));
  assert.deepEqual(state(again), expected);
  assert.deepEqual(again.hashKV(), hashAfter);
  assert.ok(again.backend.sizes().total < 40 * 4096);
  // a second defragment moves on to the next generation
  await again.backend.defragment();
  assert.deepEqual(readdirSync(path).sort(), ['ACTIVE', 'gen-2']);
  assert.deepEqual(state(again), expected);
  await again.close();
});

test('defragment while writes, a compaction and a long-lived iterator go on loses nothing', async () => {
  const path = `${dir.path}/defrag-live`;
  const backend = await Backend.open(path);
  const store = await KVStore.open(backend, { compactionBatch: 50 });
  const index = { n: 0 };
  // enough rows for the copy to take many turns (1,000 rows a turn)
  for (let i = 0; i < 12_000; i++) {
    store.put({ key: Buffer.from(`bulk/${i % 3000}`), value: Buffer.from(`v${i}`), lease: 0n });
    if (++index.n % 100 === 0) store.commit(index.n);
  }
  store.commit(++index.n);
  const lease = backend.namespace('lease');
  // an iterator opened before the defragment (a snapshot being streamed) reads its point in time
  const it = backend.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const first = it._nextvSync(10, {});
  const compacted = store.compact(store.rev - 100);
  store.commit(++index.n);
  const run = backend.defragment();
  assert.equal(backend.defragment(), run, 'calls during a run share it');
  let turns = 0;
  let done = false;
  void run.then(() => {
    done = true;
  });
  while (!done && turns < 10_000) {
    turns++;
    store.put({ key: Buffer.from(`live/${turns % 50}`), value: Buffer.from(`t${turns}`), lease: 0n });
    if (turns % 7 === 0) store.deleteRange({ key: Buffer.from(`bulk/${turns}`) });
    lease.put(Buffer.from(`l${turns % 5}`), Buffer.from(String(turns)));
    // some turns end with staged changes: the switch must carry the open batch over
    if (turns % 3 !== 0) store.commit(++index.n);
    await new Promise((r) => setImmediate(r));
  }
  const result = await run;
  await compacted;
  store.commit(++index.n);
  assert.ok(turns > 3, `the copy took ${turns} turns: it must not run in one`);
  assert.ok(result.rows > 3000, JSON.stringify(result));
  // the old snapshot is still readable to its end
  let n = first.rows.length / 2;
  for (;;) {
    const c = it._nextvSync(1000, {});
    n += c.rows.length / 2;
    if (c.finished || c.rows.length === 0) break;
  }
  it._closeSync();
  assert.ok(n >= 12_000, `old iterator saw ${n} rows`);
  const expected = state(store);
  const leases = [...lease.iterate()].map(([k, v]) => `${k}=${v}`);
  const hash = store.hashKV();
  await store.close();
  const again = await KVStore.open(await Backend.open(path));
  assert.deepEqual(state(again), expected);
  assert.deepEqual(again.hashKV(), hash);
  assert.deepEqual(
    [...again.backend.namespace('lease').iterate()].map(([k, v]) => `${k}=${v}`),
    leases,
  );
  await again.close();
});

test('a copy that never became active is removed on open; the old database opens', async () => {
  const path = `${dir.path}/defrag-crash`;
  const backend = await Backend.open(path);
  backend.namespace('t').put(Buffer.from('a'), Buffer.from('1'));
  await backend.close();
  // what a crash during the copy leaves behind
  mkdirSync(`${path}/gen-1`);
  writeFileSync(`${path}/gen-1/000004.log`, 'partial');
  const again = await Backend.open(path);
  assert.equal(again.namespace('t').get(Buffer.from('a'))?.toString(), '1');
  assert.equal(existsSync(`${path}/gen-1`), false);
  await again.close();
});

test('closing during a defragment abandons it: the copy is removed and the old database reopens', async () => {
  const path = `${dir.path}/defrag-close`;
  const backend = await Backend.open(path);
  const ns = backend.namespace('t');
  for (let i = 0; i < 5000; i++) ns.put(Buffer.from(`k${i}`), Buffer.alloc(100, i % 256));
  backend.commit();
  const run = backend.defragment();
  await new Promise((r) => setImmediate(r));
  await backend.close();
  await assert.rejects(run, /backend is closed/);
  assert.deepEqual(
    readdirSync(path).filter((f) => f.startsWith('gen-') || f === 'ACTIVE'),
    [],
  );
  const again = await Backend.open(path);
  assert.equal([...again.namespace('t').iterate()].length, 5000);
  await again.close();
});

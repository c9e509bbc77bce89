import assert from 'node:assert/strict';
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

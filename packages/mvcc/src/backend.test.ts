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

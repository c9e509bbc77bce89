import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { Mutex } from './concurrency/mutex';
import { Session } from './concurrency/session';
import { Namespace } from './namespace';
import { TestCluster } from './test-support/etcd-cluster';
import { Compare, Op } from './txn';

describe('namespace against a real server', () => {
  let cluster: TestCluster;
  let client: Client;
  before(async () => {
    cluster = await TestCluster.start();
    client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 5000 });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('keys, ranges and results are rewritten; nothing leaks outside the prefix', async () => {
    await client.put('outside', 'o');
    await client.put('ns1/', 'exactly the prefix');
    await client.put('ns10', 'sibling');
    const ns = new Namespace(client, 'ns1/');
    await ns.put('a', '1');
    await ns.put('b', '2');
    const p = await ns.put('a', '3', { prevKv: true });
    assert.equal(p.prevKv?.keyString, 'a');
    assert.equal(await client.getString('ns1/a'), '3');
    const all = await ns.get('', { prefix: true });
    assert.deepEqual(
      all.kvs.map((k) => k.keyString),
      ['', 'a', 'b'],
    );
    const from = await ns.get('a', { fromKey: true });
    assert.deepEqual(
      from.kvs.map((k) => k.keyString),
      ['a', 'b'],
    );
    assert.deepEqual(
      (await ns.get('a', { rangeEnd: 'b' })).kvs.map((k) => k.keyString),
      ['a'],
    );
    const del = await ns.delete('', { fromKey: true, prevKv: true });
    assert.deepEqual(
      del.prevKvs.map((k) => k.keyString),
      ['', 'a', 'b'],
    );
    assert.equal(await client.getString('ns10'), 'sibling');
    assert.equal(await client.getString('outside'), 'o');
  });

  test('txn comparisons, nested txns and results; watch strips the prefix; nested namespaces', async () => {
    const ns = new Namespace(client, 'ns2/');
    await ns.put('k', 'v');
    const t = await ns
      .txn()
      .if(Compare.value('k', '=', 'v'), Compare.version('', '>', 0, { prefix: true }))
      .then(
        Op.get('', { prefix: true }),
        Op.txn({ compare: [], success: [Op.put('n', 'x', { prevKv: true })], failure: [] }),
      )
      .commit();
    assert.equal(t.succeeded, true);
    const [g, nested] = t.responses;
    assert.equal(g.type === 'get' && g.kvs[0].keyString, 'k');
    assert.equal(nested.type, 'txn');
    assert.equal(await client.getString('ns2/n'), 'x');

    const inner = new Namespace(ns, 'sub/');
    const w = await inner.watch('', { prefix: true, prevKv: true });
    await inner.put('x', '1');
    await inner.put('x', '2');
    await client.put('ns2/other', 'not seen');
    const events = [];
    for await (const e of w) {
      events.push(`${e.type} ${e.kv.keyString}=${e.kv.valueString} prev=${e.prevKv?.keyString ?? '-'}`);
      if (events.length === 2) break;
    }
    await w.cancel();
    assert.deepEqual(events, ['put x=1 prev=-', 'put x=2 prev=x']);
    assert.equal(await client.getString('ns2/sub/x'), '2');
  });

  test('recipes run inside a namespace', async () => {
    const ns = new Namespace(client, 'tenant/');
    const s = await Session.create(client, { ttl: 10, kv: ns });
    try {
      const m = new Mutex(s, 'lock');
      await m.lock();
      const keys = (await client.get('tenant/lock/', { prefix: true })).kvs.map((k) => k.keyString);
      assert.deepEqual(keys, [`tenant/lock/${s.leaseId.toString(16)}`]);
      await m.unlock();
    } finally {
      await s.close();
    }
  });
});

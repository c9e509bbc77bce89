import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import {
  ClientClosedError,
  CompactedError,
  DeadlineExceededError,
  FutureRevisionError,
  UnavailableError,
} from './errors';
import { prefixEnd } from './key-range';
import { freePort, TestCluster } from './test-support/etcd-cluster';
import { Compare, Op } from './txn';
import { wireMethod } from './wire';

describe('kv against a real server', () => {
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

  test('prefixEnd increments the last byte below 0xff', () => {
    assert.deepEqual(prefixEnd('abc'), Buffer.from('abd'));
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
    assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
  });

  test('put, get and the KeyValue metadata', async () => {
    const p1 = await client.put('kv/a', 'one');
    const p2 = await client.put('kv/a', 'two', { prevKv: true });
    assert.equal(p2.header.revision, p1.header.revision + 1);
    assert.equal(p2.prevKv?.valueString, 'one');
    const r = await client.get('kv/a');
    assert.equal(r.count, 1);
    const kv = r.kvs[0];
    assert.equal(kv.keyString, 'kv/a');
    assert.equal(kv.valueString, 'two');
    assert.equal(kv.createRevision, p1.header.revision);
    assert.equal(kv.modRevision, p2.header.revision);
    assert.equal(kv.version, 2);
    assert.equal(kv.lease, 0n);
    assert.ok(r.header.clusterId > 0n && r.header.memberId > 0n);
    assert.equal(await client.getString('kv/missing'), undefined);
    assert.deepEqual(await client.getBuffer('kv/a'), Buffer.from('two'));
    // Binary keys and values survive unchanged.
    const bin = Buffer.from([0, 1, 0xfe, 0xff]);
    await client.put(Buffer.concat([Buffer.from('kv/bin/'), bin]), bin);
    assert.deepEqual((await client.get('kv/bin/', { prefix: true })).kvs[0].value, bin);
  });

  test('ranges: prefix, rangeEnd, fromKey, limit, sort, keysOnly, countOnly, revision', async () => {
    for (const k of ['r/a', 'r/b', 'r/c', 'r/d']) await client.put(k, `v-${k}`);
    const rev = (await client.get('r/a')).header.revision;
    assert.deepEqual(
      (await client.get('r/', { prefix: true })).kvs.map((k) => k.keyString),
      ['r/a', 'r/b', 'r/c', 'r/d'],
    );
    assert.deepEqual(
      (await client.get('r/b', { rangeEnd: 'r/d' })).kvs.map((k) => k.keyString),
      ['r/b', 'r/c'],
    );
    const from = await client.get('r/c', { fromKey: true });
    assert.deepEqual(
      from.kvs.slice(0, 2).map((k) => k.keyString),
      ['r/c', 'r/d'],
    );
    const lim = await client.get('r/', { prefix: true, limit: 2 });
    assert.equal(lim.kvs.length, 2);
    assert.equal(lim.more, true);
    assert.equal(lim.count, 4);
    const desc = await client.get('r/', { prefix: true, sort: { target: 'key', order: 'descend' } });
    assert.deepEqual(
      desc.kvs.map((k) => k.keyString),
      ['r/d', 'r/c', 'r/b', 'r/a'],
    );
    const byMod = await client.get('r/', {
      prefix: true,
      sort: { target: 'mod', order: 'descend' },
      limit: 1,
    });
    assert.equal(byMod.kvs[0].keyString, 'r/d');
    const ko = await client.get('r/', { prefix: true, keysOnly: true });
    assert.equal(ko.kvs.length, 4);
    assert.equal(ko.kvs[0].value.length, 0);
    const co = await client.get('r/', { prefix: true, countOnly: true });
    assert.equal(co.count, 4);
    assert.equal(co.kvs.length, 0);
    await client.put('r/a', 'changed');
    assert.equal((await client.get('r/a', { revision: rev })).kvs[0].valueString, 'v-r/a');
    assert.equal((await client.get('r/a', { serializable: true })).kvs[0].valueString, 'changed');
    await assert.rejects(client.get('r/a', { revision: rev + 1000 }), FutureRevisionError);
  });

  test('delete single, prefix with prevKv, fromKey', async () => {
    for (const k of ['d/a', 'd/b', 'd/c']) await client.put(k, k);
    const one = await client.delete('d/a');
    assert.equal(one.deleted, 1);
    const pre = await client.delete('d/', { prefix: true, prevKv: true });
    assert.equal(pre.deleted, 2);
    assert.deepEqual(
      pre.prevKvs.map((k) => k.valueString),
      ['d/b', 'd/c'],
    );
    assert.equal((await client.delete('d/zzz')).deleted, 0);
    await client.put('e/1', 'x');
    await client.put('e/2', 'x');
    assert.equal((await client.delete('e/2', { fromKey: true })).deleted >= 1, true);
    assert.equal((await client.get('e/', { prefix: true })).count, 1);
  });

  test('txn: every compare target, both branches, nested txn', async () => {
    const put = await client.put('t/k', 'v1');
    const rev = put.header.revision;
    const ok = await client
      .txn()
      .if(
        Compare.value('t/k', '=', 'v1'),
        Compare.version('t/k', '=', 1),
        Compare.createRevision('t/k', '=', rev),
        Compare.modRevision('t/k', '<', rev + 1),
        Compare.lease('t/k', '=', 0n),
        Compare.version('t/none', '=', 0),
      )
      .then(Op.put('t/k', 'v2', { prevKv: true }), Op.get('t/k'))
      .else(Op.delete('t/k'))
      .commit();
    assert.equal(ok.succeeded, true);
    assert.equal(ok.responses.length, 2);
    const [r0, r1] = ok.responses;
    assert.equal(r0.type, 'put');
    assert.equal(r0.type === 'put' && r0.prevKv?.valueString, 'v1');
    assert.equal(r1.type === 'get' && r1.kvs[0].valueString, 'v2');

    const fail = await client
      .txn()
      .if(Compare.value('t/k', '!=', 'v2'))
      .then(Op.delete('t/k'))
      .else(
        Op.get('t/k'),
        Op.txn(
          client
            .txn()
            .if(Compare.version('t/k', '>', 1))
            .then(Op.put('t/nested', 'yes')),
        ),
      )
      .commit();
    assert.equal(fail.succeeded, false);
    const nested = fail.responses[1];
    assert.equal(nested.type, 'txn');
    assert.equal(nested.type === 'txn' && nested.succeeded, true);
    assert.equal(await client.getString('t/nested'), 'yes');

    // A comparison over a range holds only if every key in it satisfies it.
    await client.put('t/r/1', 'a');
    await client.put('t/r/2', 'b');
    const rangeCmp = await client
      .txn()
      .if(Compare.version('t/r/', '=', 1, { prefix: true }))
      .commit();
    assert.equal(rangeCmp.succeeded, true);
    await client.put('t/r/2', 'c');
    const rangeCmp2 = await client
      .txn()
      .if(Compare.version('t/r/', '=', 1, { prefix: true }))
      .commit();
    assert.equal(rangeCmp2.succeeded, false);
  });

  test('compaction makes old revisions unreadable with a typed error', async () => {
    const a = await client.put('c/k', '1');
    await client.put('c/k', '2');
    const b = await client.put('c/k', '3');
    await client.compact(b.header.revision, { physical: true });
    await assert.rejects(client.get('c/k', { revision: a.header.revision }), CompactedError);
  });

  test('deadline and AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await assert.rejects(client.get('x', { signal: ac.signal }), /stop now/);
    const ac2 = new AbortController();
    const p = client.get('x', { signal: ac2.signal });
    ac2.abort(new Error('aborted in flight'));
    await assert.rejects(p, /aborted in flight/);
    await assert.rejects(client.get('x', { timeout: 0 }), (e: Error) => e.name === 'DeadlineExceededError');
  });

  test('unreachable endpoints: a dead one is skipped, all dead fails within the deadline', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const mixed = new Client({ endpoints: [dead, ...cluster.endpoints], defaultTimeout: 5000 });
    const allDead = new Client({ endpoints: [dead], defaultTimeout: 1000 });
    try {
      await client.put('reach/k', 'v');
      for (let i = 0; i < 6; i++) assert.equal(await mixed.getString('reach/k'), 'v');
      await mixed.put('reach/k2', 'w');
      const t0 = Date.now();
      await assert.rejects(
        allDead.get('reach/k'),
        (e: Error) => e instanceof UnavailableError || e instanceof DeadlineExceededError,
      );
      assert.ok(Date.now() - t0 < 3000);
    } finally {
      mixed.close();
      allDead.close();
    }
  });

  test('call() reaches any unary RPC and returns the decoded message', async () => {
    const st = await client.call('Maintenance', 'Status', {}, { kind: 'read' });
    assert.match(st.version, /^3\./);
    await client.put('call/k', 'raw');
    const r = await client.call('KV', 'Range', { key: Buffer.from('call/k') }, { kind: 'read' });
    assert.equal(Buffer.from(r.kvs[0].value).toString(), 'raw');
  });

  test('transport: unary and server streams with caller-supplied (de)serialisation', async () => {
    const range = wireMethod('KV', 'Range');
    const plain = {
      ...range,
      deserialize: (b: Buffer) => ({ bytes: b.length, decoded: range.deserialize(b) }),
    };
    await client.put('tr/k', 'x');
    const r = await client.transport.unary<{ bytes: number; decoded: any }>(
      plain,
      { key: Buffer.from('tr/k') },
      { kind: 'read' },
    );
    assert.ok(r.bytes > 0);
    assert.equal(r.decoded.kvs.length, 1);
    const s = await client.transport.serverStream(
      wireMethod('Maintenance', 'Snapshot'),
      {},
      { endpoint: cluster.endpoints[0] },
    );
    let size = 0;
    for await (const chunk of s) size += chunk.blob.length;
    assert.ok(size > 0);
  });

  test('close() fails pending and later calls with ClientClosedError', async () => {
    const c = new Client({ endpoints: cluster.endpoints });
    await c.put('close/k', 'v');
    const w = await c.watch('close/k');
    const ended = new Promise<void>((r) => w.once('end', r));
    c.close();
    await ended;
    await assert.rejects(c.get('close/k'), ClientClosedError);
  });
});

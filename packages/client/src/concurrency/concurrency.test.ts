import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '../client';
import { LeaseLostError } from '../errors';
import { TestCluster } from '../test-support/etcd-cluster';
import { Op } from '../txn';
import { Election, NotLeaderError } from './election';
import { Mutex } from './mutex';
import { Session, SessionExpiredError } from './session';
import { runSTM } from './stm';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrency recipes against a real server', () => {
  let cluster: TestCluster;
  let client: Client;
  before(async () => {
    cluster = await TestCluster.start();
    client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('session: lease kept alive; close revokes; done rejects when lost', async () => {
    const s = await Session.create(client, { ttl: 1 });
    await client.put('sess/k', 'v', { lease: s.leaseId });
    await sleep(1800);
    assert.equal(await client.getString('sess/k'), 'v');
    const done = s.done.catch((e) => e);
    await client.lease.revoke(s.leaseId);
    assert.ok((await done) instanceof LeaseLostError);
    assert.equal(await client.getString('sess/k'), undefined);
    const s2 = await Session.create(client, { ttl: 5 });
    await s2.close();
    assert.equal((await client.lease.timeToLive(s2.leaseId)).ttl, -1);
  });

  test('mutual exclusion: many clients contend, never two holders, queue order by create revision', async () => {
    const n = 8;
    const rounds = 3;
    const clients = Array.from(
      { length: n },
      () => new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 }),
    );
    const sessions = await Promise.all(clients.map((c) => Session.create(c, { ttl: 10 })));
    let holders = 0;
    let maxHolders = 0;
    const grants: Array<{ rev: number; who: number }> = [];
    try {
      await Promise.all(
        sessions.map(async (s, who) => {
          for (let r = 0; r < rounds; r++) {
            const m = new Mutex(s, 'locks/shared');
            await m.lock();
            holders++;
            maxHolders = Math.max(maxHolders, holders);
            // The holder's key is the oldest under the prefix, and a guarded write proves ownership.
            const owner = await client.get('locks/shared/', {
              prefix: true,
              sort: { target: 'create', order: 'ascend' },
              limit: 1,
            });
            assert.deepEqual(owner.kvs[0].key, m.key);
            const t = await client
              .txn()
              .if(m.isOwner())
              .then(Op.put(`locks-data/${who}-${r}`, 'held'))
              .commit();
            assert.equal(t.succeeded, true);
            grants.push({ rev: m.revision, who });
            await sleep(5);
            holders--;
            await m.unlock();
          }
        }),
      );
    } finally {
      await Promise.all(sessions.map((s) => s.close().catch(() => {})));
      for (const c of clients) c.close();
    }
    assert.equal(maxHolders, 1);
    assert.equal(grants.length, n * rounds);
    // Fair queue: the lock was granted in create-revision order.
    const revs = grants.map((g) => g.rev);
    assert.deepEqual(
      revs,
      [...revs].sort((a, b) => a - b),
    );
  });

  test('tryLock does not wait and leaves no key behind; lock aborts on signal', async () => {
    const s1 = await Session.create(client, { ttl: 10 });
    const s2 = await Session.create(client, { ttl: 10 });
    try {
      const a = new Mutex(s1, 'locks/try');
      const b = new Mutex(s2, 'locks/try');
      assert.equal(await a.tryLock(), true);
      assert.equal(await b.tryLock(), false);
      assert.equal((await client.get('locks/try/', { prefix: true })).count, 1);
      const ac = new AbortController();
      const waiting = b.lock({ signal: ac.signal });
      await sleep(100);
      ac.abort(new Error('gave up'));
      await assert.rejects(waiting, /gave up/);
      assert.equal((await client.get('locks/try/', { prefix: true })).count, 1);
      await a.unlock();
      assert.equal(await b.tryLock(), true);
      await b.unlock();
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  test('a waiter whose session is lost stops waiting with SessionExpiredError', async () => {
    const holder = await Session.create(client, { ttl: 10 });
    const waiter = await Session.create(client, { ttl: 10 });
    try {
      await new Mutex(holder, 'locks/lost').lock();
      const waiting = new Mutex(waiter, 'locks/lost').lock();
      await sleep(100);
      await client.lease.revoke(waiter.leaseId); // as if an operator revoked it
      await assert.rejects(waiting, SessionExpiredError);
    } finally {
      await holder.close();
    }
  });

  test('a lock held by a dead session is released when its lease expires', async () => {
    const dead = await Session.create(client, { ttl: 1 });
    const live = await Session.create(client, { ttl: 10 });
    try {
      await new Mutex(dead, 'locks/expire').lock();
      dead.orphan(); // stops keepalive as if the process died
      const t0 = Date.now();
      await new Mutex(live, 'locks/expire').lock();
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      await live.close();
    }
  });

  test('election: campaign, leader, proclaim, observe, resign, failover to the next candidate', async () => {
    const s1 = await Session.create(client, { ttl: 10 });
    const s2 = await Session.create(client, { ttl: 10 });
    const e1 = new Election(s1, 'elect/svc');
    const e2 = new Election(s2, 'elect/svc');
    const observer = new Election(s1, 'elect/svc');
    const ac = new AbortController();
    const seen: string[] = [];
    const observing = (async () => {
      for await (const kv of observer.observe({ signal: ac.signal })) seen.push(kv.valueString);
    })();
    try {
      await e1.campaign('n1');
      assert.equal((await e1.leader())?.valueString, 'n1');
      let e2Leads = false;
      const c2 = e2.campaign('n2').then(() => (e2Leads = true));
      await sleep(150);
      assert.equal(e2Leads, false);
      await e1.proclaim('n1-v2');
      assert.equal((await e2.leader())?.valueString, 'n1-v2');
      await assert.rejects(e2.proclaim('x'), NotLeaderError);
      await e1.resign();
      await c2;
      assert.equal(e2Leads, true);
      assert.equal((await e1.leader())?.valueString, 'n2');
      const deadline = Date.now() + 5000;
      while (seen.length < 3 && Date.now() < deadline) await sleep(20);
      assert.deepEqual(seen, ['n1', 'n1-v2', 'n2']);
      await e2.resign();
      assert.equal(await e1.leader(), undefined);
    } finally {
      ac.abort();
      await observing.catch(() => {});
      await s1.close();
      await s2.close();
    }
  });

  test('STM: concurrent increments never lose an update (serializable and repeatable-read)', async () => {
    for (const isolation of ['serializable', 'repeatable-read', 'serializable-snapshot'] as const) {
      const key = `stm/counter-${isolation}`;
      const workers = 4;
      const perWorker = 5;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let i = 0; i < perWorker; i++) {
            await runSTM(
              client,
              async (stm) => {
                const n = Number((await stm.get(key)) || '0');
                stm.put(key, String(n + 1));
              },
              { isolation },
            );
          }
        }),
      );
      assert.equal(await client.getString(key), String(workers * perWorker), isolation);
    }
  });

  test('STM isolation: serializable reads one snapshot, repeatable-read reads each key once at its latest', async () => {
    const runs: Record<string, string[]> = {};
    for (const isolation of ['serializable', 'repeatable-read'] as const) {
      await client.put('iso/a', '1');
      await client.put('iso/b', '1');
      const seenB: string[] = [];
      let first = true;
      await runSTM(
        client,
        async (stm) => {
          await stm.get('iso/a');
          if (first) {
            first = false;
            await client.put('iso/b', '2'); // a concurrent writer, between our two reads
          }
          seenB.push(await stm.get('iso/b'));
          stm.put('iso/c', 'x');
        },
        { isolation },
      );
      runs[isolation] = seenB;
    }
    // Serializable saw b as of its snapshot, conflicted on commit, and re-ran; repeatable-read read the
    // new b on first access and committed at once.
    assert.deepEqual(runs, { serializable: ['1', '2'], 'repeatable-read': ['2'] });
  });

  test('STM: transfer between accounts keeps the total', async () => {
    await client.put('stm/a', '100');
    await client.put('stm/b', '100');
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await runSTM(client, async (stm) => {
          const [from, to] = i % 2 ? ['stm/a', 'stm/b'] : ['stm/b', 'stm/a'];
          const f = Number(await stm.get(from));
          const t = Number(await stm.get(to));
          stm.put(from, String(f - 10 - i));
          stm.put(to, String(t + 10 + i));
        });
      }),
    );
    const a = Number(await client.getString('stm/a'));
    const b = Number(await client.getString('stm/b'));
    assert.equal(a + b, 200);
    assert.notEqual(a, 100);
  });
});

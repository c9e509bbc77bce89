import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { TestCluster } from './test-support/etcd-cluster';
import type { WatchEvent } from './watcher';

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('failover on a 3-member real cluster', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ size: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('killing the member a watcher is connected to: every event exactly once, in order', async () => {
    const watchClient = new Client({ endpoints: cluster.endpoints });
    const writer = new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 });
    try {
      const start = (await writer.put('fo/start', 'x')).header.revision + 1;
      const w = await watchClient.watch('fo/k/', { prefix: true });
      // More watchers on the same stream: a single key with prevKv, and a deletes-only filter.
      const single = await watchClient.watch('fo/k/3', { prevKv: true });
      const gotSingle: WatchEvent[] = [];
      single.on('event', (e) => gotSingle.push(e));
      const connections: string[] = [];
      w.on('connected', (c) => connections.push(c.endpoint));
      const got: WatchEvent[] = [];
      w.on('event', (e) => got.push(e));
      const first = w.endpoint!;
      const victim = cluster.indexOf(first);
      assert.ok(victim >= 0);

      const total = 150;
      let last = 0;
      for (let i = 0; i < total; i++) {
        if (i === 50) await cluster.kill(victim);
        // retryWrite: a write retried after an ambiguous failure may apply twice; the history check
        // below compares against what the cluster really stored, so duplicates on the write side are fine.
        last = (await writer.put(`fo/k/${i % 7}`, String(i), { retryWrite: true })).header.revision;
        if (i % 10 === 9) last = (await writer.delete(`fo/k/${i % 7}`, { retryWrite: true })).header.revision;
      }
      await until(
        () => got.length > 0 && got[got.length - 1].kv.modRevision >= last,
        15_000,
        'the last event',
      );
      assert.ok(connections.length >= 1, 'watcher reconnected');
      assert.notEqual(connections[connections.length - 1], first, 'resumed on another member');

      // The cluster's own history of the range, read by a fresh watch from the start revision.
      const history: WatchEvent[] = [];
      const h = await writer.watch('fo/k/', { prefix: true, startRevision: start });
      for await (const e of h) {
        history.push(e);
        if (e.kv.modRevision >= last) break;
      }
      await h.cancel();
      const fmt = (e: WatchEvent) => `${e.type} ${e.kv.keyString}=${e.kv.valueString}@${e.kv.modRevision}`;
      assert.ok(history.length >= total);
      assert.deepEqual(got.map(fmt), history.map(fmt));
      assert.ok(history.some((e) => e.type === 'delete'));
      // The single-key watcher saw exactly that key's history, each event with its predecessor.
      const keyHistory = history.filter((e) => e.kv.keyString === 'fo/k/3');
      await until(() => gotSingle.length >= keyHistory.length, 5000, 'single-key events');
      assert.deepEqual(gotSingle.map(fmt), keyHistory.map(fmt));
      for (let i = 1; i < gotSingle.length; i++) {
        if (gotSingle[i - 1].type === 'put')
          assert.equal(gotSingle[i].prevKv?.modRevision, gotSingle[i - 1].kv.modRevision);
      }
      assert.equal(single.endpoint, w.endpoint);
      await w.cancel();
      await single.cancel();
    } finally {
      watchClient.close();
      writer.close();
      await cluster.restart(cluster.members.findIndex((m) => !m.process)).catch(() => {});
    }
  });

  test('reads keep working and writes fail over while a member is down', async () => {
    await cluster.waitHealthy(cluster.members);
    const client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 });
    try {
      await client.put('fo2/k', 'v');
      await cluster.kill(1);
      for (let i = 0; i < 30; i++) {
        assert.equal(await client.getString('fo2/k'), 'v');
        await client.put(`fo2/n${i}`, 'x');
      }
      assert.equal((await client.get('fo2/n', { prefix: true, countOnly: true })).count, 30);
    } finally {
      client.close();
      await cluster.restart(1);
    }
  });

  test('a kept-alive lease survives the death of the member holding its keepalive stream', async () => {
    await cluster.waitHealthy(cluster.members);
    const client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 });
    try {
      const lease = await client.lease.grant(2);
      await client.put('fo3/k', 'v', { lease });
      // Which member serves the keepalive stream is internal; read it to aim the kill.
      const deadline = Date.now() + 5000;
      const lc = client.lease as unknown as { endpoint: number };
      while (lc.endpoint < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const victim = cluster.indexOf(client.endpoints[lc.endpoint]);
      await cluster.kill(victim);
      try {
        await new Promise((r) => setTimeout(r, 4500));
        assert.equal(lease.isLost, false);
        assert.ok((await lease.timeToLive()).ttl > 0);
        assert.equal(await client.getString('fo3/k'), 'v');
        await lease.revoke();
      } finally {
        await cluster.restart(victim);
      }
    } finally {
      client.close();
    }
  });

  test('syncEndpoints discovers the other members, so losing the only configured one is survivable', async () => {
    await cluster.waitHealthy(cluster.members);
    const client = new Client({ endpoints: [cluster.endpoints[0]], defaultTimeout: 10_000 });
    try {
      await client.put('fo5/k', 'v');
      const active = await client.syncEndpoints();
      assert.deepEqual([...active].sort(), [...cluster.endpoints].sort());
      await cluster.kill(0);
      for (let i = 0; i < 10; i++) assert.equal(await client.getString('fo5/k'), 'v');
    } finally {
      client.close();
      await cluster.restart(0);
    }
  });

  test('killing the leader: reads, and writes that opt in, carry on through the election', async () => {
    await cluster.waitHealthy(cluster.members);
    const client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 15_000 });
    try {
      const s = await client.maintenance.status();
      const members = (await client.cluster.memberList()).members;
      const leaderUrl = members.find((m) => m.id === s.leader)!.clientUrls[0];
      const victim = cluster.indexOf(leaderUrl);
      let last = '';
      for (let i = 0; i < 60; i++) {
        if (i === 15) await cluster.kill(victim);
        await client.put('fo4/k', String(i), { retryWrite: true });
        last = (await client.getString('fo4/k')) ?? '';
        assert.equal(last, String(i));
      }
      const after = await client.maintenance.status({ endpoint: cluster.endpoints[(victim + 1) % 3] });
      assert.notEqual(after.leader, s.leader);
      await cluster.restart(victim);
    } finally {
      client.close();
    }
  });
});

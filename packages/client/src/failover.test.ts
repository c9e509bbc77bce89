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
      await w.cancel();
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
});

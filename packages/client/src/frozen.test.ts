import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { TestCluster } from './test-support/etcd-cluster';
import type { WatchEvent } from './watcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A frozen member (SIGSTOP) keeps its sockets open but answers nothing: only deadlines and keepalive
// pings reveal it. The members let clients ping every 200 ms here (etcd's default minimum is 5 s).
describe('a frozen member of a 3-member real cluster', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ size: 3, args: ['--grpc-keepalive-min-time', '200ms'] });
  });
  after(async () => {
    for (let i = 0; i < 3; i++) cluster?.resume(i);
    await cluster?.stop();
  });

  test('reads move on after an attempt timeout; the watcher resumes elsewhere via keepalive', async () => {
    const opts = { endpoints: cluster.endpoints, keepAlive: { timeMs: 500, timeoutMs: 500 } };
    const client = new Client({
      ...opts,
      defaultTimeout: 15_000,
      attemptTimeout: 400,
      watchCreateTimeout: 1000,
    });
    const watchClient = new Client(opts);
    try {
      const start = (await client.put('fz/start', '')).header.revision + 1;
      const w = await watchClient.watch('fz/k/', { prefix: true });
      const got: WatchEvent[] = [];
      w.on('event', (e) => got.push(e));
      const frozen = cluster.indexOf(w.endpoint!);
      let last = 0;
      for (let i = 0; i < 40; i++) {
        if (i === 10) cluster.pause(frozen);
        last = (await client.put(`fz/k/${i % 5}`, String(i), { retryWrite: true })).header.revision;
        assert.equal(await client.getString(`fz/k/${i % 5}`), String(i));
      }
      const deadline = Date.now() + 10_000;
      while ((got.at(-1)?.kv.modRevision ?? 0) < last && Date.now() < deadline) await sleep(20);
      assert.notEqual(cluster.indexOf(w.endpoint ?? ''), frozen, 'watcher moved to another member');
      // The reference history is read by a new watch whose stream is steered onto the frozen member:
      // its create goes unanswered, and the watch must move on to a live member.
      const pool = client.invoker.pool;
      for (let i = 0; i < 2 * pool.size && pool.pick() !== (frozen + pool.size - 1) % pool.size; i++);
      pool.reportSuccess(frozen);
      const t0 = Date.now();
      const history: WatchEvent[] = [];
      let historyEndpoint: string | undefined;
      const h = await client.watch('fz/k/', { prefix: true, startRevision: start });
      const timer = setTimeout(() => void h.cancel(), 20_000);
      for await (const e of h) {
        if (history.length === 0) {
          assert.ok(Date.now() - t0 < 15_000, 'the new watch got going');
          historyEndpoint = h.endpoint;
        }
        history.push(e);
        if (e.kv.modRevision >= last) break;
      }
      clearTimeout(timer);
      await h.cancel();
      assert.notEqual(
        cluster.indexOf(historyEndpoint ?? ''),
        frozen,
        'the new watch moved off the frozen member',
      );
      cluster.resume(frozen);
      const fmt = (e: WatchEvent) => `${e.type} ${e.kv.keyString}=${e.kv.valueString}@${e.kv.modRevision}`;
      // Resuming the member lets it apply the puts it received while frozen (retried writes are not
      // idempotent): those land after `last`, outside the window compared here.
      const upTo = (es: WatchEvent[]) => es.filter((e) => e.kv.modRevision <= last).map(fmt);
      assert.deepEqual(upTo(got), upTo(history));
      await w.cancel();
    } finally {
      for (let i = 0; i < 3; i++) cluster.resume(i);
      client.close();
      watchClient.close();
    }
  });
});

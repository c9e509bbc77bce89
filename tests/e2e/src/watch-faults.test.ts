import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import {
  Cluster,
  readLocal,
  SUITE_TIMEOUT_MS,
  serverKind,
  skipReason,
  sleep,
  waitFor,
} from './harness/index';
import { AckedWriter } from './workload/acked-writes';

describe(`watch across leader kills: in order, no gap, no duplicate [${serverKind()}]`, {
  skip: skipReason(),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  let watcherClient: Etcd3 | undefined;
  let w: AckedWriter | undefined;
  before(async () => {
    c = await Cluster.start({ size: 3 });
  });
  after(async () => {
    watcherClient?.close();
    w?.close();
    await c?.destroy();
  });

  it('a prefix watcher sees every put exactly once, in revision order, while the leader is killed twice', async (t) => {
    watcherClient = new Etcd3({ hosts: c.clientUrls, dialTimeout: 3000 });
    const seen: Array<{ key: string; rev: number }> = [];
    const watcher = await watcherClient.watch().prefix('wq/').create();
    watcher.on('put', (kv) => seen.push({ key: kv.key.toString(), rev: Number(kv.mod_revision) }));
    w = new AckedWriter(c.clientUrls, 'wq/');

    for (let round = 0; round < 2; round++) {
      assert.equal(await w.writeMany(60, 4, 15_000), 60);
      const leader = await c.leader();
      const ackedBefore = w.acked.size;
      let stop = false;
      const bg = (async () => {
        for (let i = 0; i < 2000 && !stop; i++) {
          const [k, v] = w!.nextKey();
          if (!(await w!.putOnce(k, v))) await sleep(20);
        }
      })();
      await leader.kill9();
      await c.leader(
        20_000,
        c.members.filter((m) => m !== leader),
      );
      await sleep(300);
      leader.start();
      await leader.waitHealthy(45_000);
      await waitFor(
        'writes to continue',
        () => (w!.acked.size >= ackedBefore + 20 ? true : undefined),
        20_000,
        50,
      );
      stop = true;
      await bg;
    }
    assert.equal(await w.writeMany(30, 4, 15_000), 30);

    // The truth: each key was written at most once, so its mod revision names its one put.
    const leader = await c.leader();
    const truth = await readLocal(leader.endpoint, 'wq/');
    const want = await waitFor(
      'the watcher to catch up',
      async () => {
        const r = await readLocal(leader.endpoint, 'wq/');
        return seen.length >= r.kvs.size ? r : undefined;
      },
      30_000,
      200,
    );
    t.diagnostic(`writer: ${w.acked.size} acknowledged, ${w.failures} failed: ${w.errorSummary()}`);
    t.diagnostic(`${seen.length} events seen for ${want.kvs.size} keys (${truth.kvs.size} at first look)`);
    const revs = seen.map((e) => e.rev);
    for (let i = 1; i < revs.length; i++) {
      assert.ok(
        revs[i]! > revs[i - 1]!,
        `event ${i} revision ${revs[i]} after ${revs[i - 1]}: out of order or duplicate`,
      );
    }
    const seenKeys = new Set(seen.map((e) => e.key));
    const missing = [...want.kvs.keys()].filter((k) => !seenKeys.has(k));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} puts never reached the watcher`);
    for (const k of w.acked.keys()) assert.ok(seenKeys.has(k), `acknowledged ${k} not watched`);
    assert.equal(seen.length, want.kvs.size, 'one event per put');
    await watcher.cancel();
  });
});

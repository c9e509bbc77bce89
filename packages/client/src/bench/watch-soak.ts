// Soak: a 3-member cluster loses a member (SIGKILL, then restart) again and again while a writer writes
// and several watchers watch; at the end every watcher's events must equal the cluster's own history.
// Usage: node dist/bench/watch-soak.js [--kills N]   (default 3; prints one line per round and a verdict)
import { Client } from '../client';
import { TestCluster } from '../test-support/etcd-cluster';
import type { WatchEvent } from '../watcher';

const fmt = (e: WatchEvent) => `${e.type} ${e.kv.keyString}@${e.kv.modRevision}`;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--kills');
  const kills = at > 0 ? Number(process.argv[at + 1]) : 3;
  const cluster = await TestCluster.start({ size: 3 });
  const writer = new Client({ endpoints: cluster.endpoints, defaultTimeout: 15_000 });
  const watchers = [0, 1, 2].map(() => new Client({ endpoints: cluster.endpoints }));
  let stop = false;
  let last = 0;
  let writes = 0;
  try {
    const start = (await writer.put('soak/start', '')).header.revision + 1;
    const got: WatchEvent[][] = [];
    for (const c of watchers) {
      const w = await c.watch('soak/k/', { prefix: true });
      const list: WatchEvent[] = [];
      w.on('event', (e) => list.push(e));
      got.push(list);
    }
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        last = (await writer.put(`soak/k/${i % 11}`, String(i), { retryWrite: true })).header.revision;
        writes++;
      }
    })();
    for (let round = 0; round < kills; round++) {
      const victim = Math.floor(Math.random() * 3);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await cluster.kill(victim);
      await new Promise((r) => setTimeout(r, 700));
      await cluster.restart(victim);
      console.log(
        `round ${round + 1}: killed m${victim}, back after ${Date.now() - t0} ms, ${writes} writes so far`,
      );
    }
    stop = true;
    await writing;
    const deadline = Date.now() + 20_000;
    while (got.some((l) => (l.at(-1)?.kv.modRevision ?? 0) < last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const history: WatchEvent[] = [];
    const h = await writer.watch('soak/k/', { prefix: true, startRevision: start });
    for await (const e of h) {
      history.push(e);
      if (e.kv.modRevision >= last) break;
    }
    await h.cancel();
    const want = history.map(fmt).join('\n');
    const ok = got.every((l) => l.map(fmt).join('\n') === want);
    console.log(
      `${writes} writes, ${history.length} events, ${watchers.length} watchers: ${ok ? 'every event exactly once, in order' : 'MISMATCH'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    stop = true;
    writer.close();
    for (const c of watchers) c.close();
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

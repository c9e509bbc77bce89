// Client throughput against a real single-member server started on a free port.
// Usage: node dist/bench/kv-bench.js [--short] [--endpoints http://127.0.0.1:2379]
// Prints ops/s for sequential and concurrent puts, linearizable and serializable gets, and watch delivery.
import { Client } from '../client';
import { TestCluster } from '../test-support/etcd-cluster';

async function timed(label: string, ops: number, fn: () => Promise<void>): Promise<void> {
  const t0 = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `${label.padEnd(34)} ${String(ops).padStart(6)} ops  ${(ops / (ms / 1000)).toFixed(0).padStart(7)} ops/s`,
  );
}

async function main(): Promise<void> {
  const short = process.argv.includes('--short') || !!process.env.CI;
  const at = process.argv.indexOf('--endpoints');
  const cluster = at > 0 ? undefined : await TestCluster.start();
  const endpoints = at > 0 ? process.argv[at + 1].split(',') : cluster!.endpoints;
  const client = new Client({ endpoints });
  const n = short ? 300 : 3000;
  const conc = 32;
  const value = Buffer.alloc(256, 'x');
  try {
    await timed('put, sequential', n, async () => {
      for (let i = 0; i < n; i++) await client.put(`bench/${i}`, value);
    });
    await timed(`put, ${conc} in flight`, n * 2, async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: conc }, async () => {
          while (next < n * 2) await client.put(`bench/c${next++}`, value);
        }),
      );
    });
    await timed('get (linearizable), sequential', n, async () => {
      for (let i = 0; i < n; i++) await client.get(`bench/${i}`);
    });
    await timed(`get (serializable), ${conc} in flight`, n * 2, async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: conc }, async () => {
          while (next < n * 2) await client.get(`bench/${next++ % n}`, { serializable: true });
        }),
      );
    });
    const w = await client.watch('benchw/', { prefix: true });
    let seen = 0;
    const all = new Promise<void>((r) =>
      w.on('event', () => {
        if (++seen === n * 2) r();
      }),
    );
    await timed(`watch delivery (${conc} writers)`, n * 2, async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: conc }, async () => {
          while (next < n * 2) await client.put(`benchw/${next++}`, value);
        }),
      );
      await all;
    });
    await w.cancel();
  } finally {
    client.close();
    await cluster?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Throughput of the lessor's hot paths with many leases. Run: `node dist/bench/lessor.bench.js [leases]`
// (default 100000). Prints one line per operation; the clock is a fake one, so only CPU time counts.

import { Lessor } from '../lessor.js';
import { decodeLeaseRecord, encodeLeaseRecord, type LeaseRecord } from '../record.js';

const n = Number(process.argv[2] ?? 100_000);
let t = 0;
const lessor = new Lessor({
  now: () => t,
  revokeRate: Number.MAX_SAFE_INTEGER,
  checkpointIntervalMs: 60_000,
});
lessor.promote(0);
const keys = Array.from({ length: n }, (_, i) => Buffer.from(`/bench/key/${i}`));

function measure(name: string, ops: number, f: () => void): void {
  const start = process.hrtime.bigint();
  f();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rate = ops / (ms / 1000);
  console.log(
    `${name.padEnd(34)} ${String(ops).padStart(7)} ops ${ms.toFixed(1).padStart(8)} ms ${Math.round(rate).toLocaleString('en-US').padStart(12)} ops/s`,
  );
}

console.log(`lessor with ${n} leases (node ${process.version})`);
const records: LeaseRecord[] = [];
measure('grant + attach 1 key', n, () => {
  for (let i = 0; i < n; i++) {
    const id = BigInt(i + 1);
    records.push(lessor.grant(id, 120 + (i % 600)).change.put);
    lessor.attach(id, [keys[i]]);
  }
});
t += 10_000;
measure('renew (keep-alive)', n, () => {
  for (let i = 0; i < n; i++) lessor.renew(BigInt(i + 1));
});
t += 60_000;
measure('dueCheckpoints (batches of 1000)', n, () => {
  let got = 0;
  for (let cps = lessor.dueCheckpoints(); cps.length > 0; cps = lessor.dueCheckpoints()) got += cps.length;
  if (got !== n) throw new Error(`expected ${n} checkpoints, got ${got}`);
});
measure('timeToLive', n, () => {
  for (let i = 0; i < n; i++) lessor.timeToLive(BigInt(i + 1));
});
measure('demote + promote', n, () => {
  lessor.demote();
  lessor.promote(1000);
});
const encoded = records.map(encodeLeaseRecord);
measure('decode records + recover', n, () => {
  lessor.recover(
    encoded.map(decodeLeaseRecord),
    keys.map((key, i) => ({ key, lease: BigInt(i + 1) })),
  );
  lessor.promote(0);
});
t += 1_000_000;
measure('expired (batches of 1000) + revoke', n, () => {
  let got = 0;
  for (let ids = lessor.expired(1000); ids.length > 0; ids = lessor.expired(1000)) {
    for (const id of ids) lessor.revoke(id);
    got += ids.length;
  }
  if (got !== n || lessor.size !== 0) throw new Error(`expected ${n} expiries, got ${got}`);
});
console.log(`heap used ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB at the end`);

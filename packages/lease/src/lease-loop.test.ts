import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeaseLoop } from './lease-loop.js';
import { Lessor } from './lessor.js';

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

test('with the real clock: revokes at expiry, checkpoints long leases, one proposal per lease', async () => {
  const lessor = new Lessor({ checkpointIntervalMs: 100 });
  lessor.promote(0);
  const start = performance.now();
  lessor.grant(1n, 1);
  lessor.attach(1n, [Buffer.from('gone')]);
  lessor.grant(2n, 1000);
  lessor.grant(3n, 3);
  const revokedAt = new Map<bigint, number>();
  const deleted: string[] = [];
  let proposals = 0;
  const loop = new LeaseLoop(lessor, {
    intervalMs: 20,
    revoke: async (id) => {
      proposals++;
      await sleep(5); // raft round trip
      const { keys } = lessor.revoke(id);
      revokedAt.set(id, performance.now());
      deleted.push(...keys.map((k) => Buffer.from(k).toString()));
    },
    checkpoint: async (cps) => {
      await sleep(5);
      for (const cp of cps) lessor.checkpoint(cp.id, cp.remainingTTL);
    },
  });
  loop.start();
  try {
    await until(() => revokedAt.has(1n) && (lessor.lookup(3n)?.remainingTTL ?? 0) > 0, 5_000);
  } finally {
    loop.stop();
  }
  assert.ok(revokedAt.get(1n)! - start >= 1000);
  assert.deepEqual(deleted, ['gone']);
  assert.equal(proposals, 1);
  assert.ok(lessor.has(2n));
  assert.ok(lessor.lookup(3n)!.remainingTTL <= 2);
});

test('bounds revokes in flight and does nothing on a follower', async () => {
  const lessor = new Lessor();
  for (let i = 1; i <= 40; i++) lessor.grant(BigInt(i), 0);
  let inFlight = 0;
  let maxInFlight = 0;
  const loop = new LeaseLoop(lessor, {
    intervalMs: 10,
    maxPendingRevokes: 4,
    revoke: async (id) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(5);
      inFlight--;
      // Every fifth proposal is lost; expiry hands the lease out again later.
      if (id % 5n !== 0n) lessor.revoke(id);
      else throw new Error('proposal dropped');
    },
    checkpoint: async () => {},
    onError: () => {},
  });
  loop.tick();
  assert.equal(inFlight, 0, 'a follower proposes nothing');
  lessor.promote(0);
  loop.start();
  try {
    await until(() => lessor.size === 8, 5_000);
  } finally {
    loop.stop();
  }
  assert.ok(maxInFlight <= 4 && maxInFlight > 1, `max in flight ${maxInFlight}`);
});

// Drives the lessor the way the server does: a revoke loop polls expired() every 500 ms and proposes
// revokes, which commit (or get lost) and are applied on every member; keys live in a stand-in for the
// mvcc store. Checks that every lease expires exactly once, never before the deadline the client was
// promised, and not much after it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseNotFoundError } from './errors.js';
import { Lessor, type RenewResult } from './lessor.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Tracked {
  /** Latest deadline promised to the client: grant/renew time + TTL. */
  deadline: number;
  ttl: number;
  keys: string[];
  renewsLeft: number;
  nextRenew: number;
  handedOut: number[];
  revokedAt?: number;
}

type Op = { at: number; run: () => void };

/** A cluster of members sharing one log; `members[0]` starts as leader. */
class Sim {
  t = 0;
  readonly members: Lessor[];
  leader: Lessor;
  readonly kv = new Map<string, bigint>();
  readonly leases = new Map<bigint, Tracked>();
  private pending: Op[] = [];
  private readonly rand: () => number;
  /** Leases whose clients still send keep-alives. */
  private readonly renewing = new Set<bigint>();
  revoked = 0;
  handedOut = 0;
  dropped = 0;
  duplicateRevokes = 0;

  constructor(n: number, seed: number, opts: { revokeRate?: number; checkpointIntervalMs?: number } = {}) {
    this.rand = rng(seed);
    this.members = Array.from(
      { length: n },
      () => new Lessor({ now: () => this.t, minTTL: 2, expiredRetryMs: 3000, ...opts }),
    );
    this.leader = this.members[0];
    this.leader.promote(0);
  }

  /** Raft, reduced to: a proposal commits `delay` ms later on every member, unless lost. */
  propose(run: (l: Lessor) => void, lossRate = 0, delay = 100): boolean {
    if (this.rand() < lossRate) {
      this.dropped++;
      return false;
    }
    this.pending.push({ at: this.t + delay, run: () => this.members.forEach(run) });
    return true;
  }

  grant(id: bigint, ttl: number, keys: string[], renews: number): void {
    const now = this.t;
    this.propose((l) => {
      l.grant(id, ttl);
      l.attach(
        id,
        keys.map((k) => Buffer.from(k)),
      );
    });
    // The client's clock starts when the grant is answered, i.e. once applied.
    this.leases.set(id, {
      deadline: now + 100 + ttl * 1000,
      ttl,
      keys,
      renewsLeft: renews,
      nextRenew: now + 100 + (ttl * 1000) / 3,
      handedOut: [],
    });
    for (const k of keys) this.kv.set(k, id);
    if (renews > 0) this.renewing.add(id);
  }

  private applyRevoke(l: Lessor, id: bigint): void {
    try {
      const { keys } = l.revoke(id);
      if (l !== this.leader) return;
      const tr = this.leases.get(id)!;
      assert.equal(tr.revokedAt, undefined);
      tr.revokedAt = this.t;
      this.revoked++;
      assert.deepEqual(
        keys.map((k) => Buffer.from(k).toString()),
        [...tr.keys].sort(),
      );
      for (const k of keys) {
        const key = Buffer.from(k).toString();
        assert.equal(this.kv.get(key), id);
        this.kv.delete(key);
      }
    } catch (e) {
      // A retried revoke whose first proposal did commit after all.
      if (!(e instanceof LeaseNotFoundError)) throw e;
      if (l === this.leader) this.duplicateRevokes++;
    }
  }

  /** One 100 ms step: apply what committed, renew what clients keep alive, poll expiry every 500 ms. */
  step(lossRate: number): void {
    this.t += 100;
    // Proposals commit in the order they were made (all have the same delay).
    let n = 0;
    while (n < this.pending.length && this.pending[n].at <= this.t) n++;
    const due = this.pending.splice(0, n);
    for (const o of due) o.run();
    // Without a leader (mid-election) clients cannot renew and nothing expires.
    if (!this.leader.isPrimary) return;
    for (const id of this.renewing) {
      const tr = this.leases.get(id)!;
      if (tr.revokedAt !== undefined || tr.renewsLeft === 0) {
        this.renewing.delete(id);
        continue;
      }
      if (tr.nextRenew > this.t) continue;
      let r: RenewResult;
      try {
        r = this.leader.renew(id);
      } catch (e) {
        // The keep-alive came too late: only acceptable once the promised deadline has passed.
        assert.ok(e instanceof LeaseNotFoundError);
        assert.ok(this.t >= tr.deadline, `renew refused ${tr.deadline - this.t} ms before the deadline`);
        tr.renewsLeft = 0;
        continue;
      }
      assert.equal(r.ttl, tr.ttl);
      // The server proposes the reset and answers once it commits; the deadline counts from the renew.
      const cp = r.checkpoint;
      if (cp !== undefined) this.propose((l) => l.checkpoint(cp.id, cp.remainingTTL));
      tr.deadline = this.t + tr.ttl * 1000;
      tr.renewsLeft--;
      tr.nextRenew = this.t + (tr.ttl * 1000) / 3;
    }
    if (this.t % 500 === 0) {
      for (const id of this.leader.expired()) {
        const tr = this.leases.get(id)!;
        assert.ok(this.t >= tr.deadline, `lease ${id} handed out ${tr.deadline - this.t} ms early`);
        tr.handedOut.push(this.t);
        this.handedOut++;
        this.propose((l) => this.applyRevoke(l, id), lossRate);
      }
    }
  }

  done(): boolean {
    return this.pending.length === 0 && this.revoked === this.leases.size;
  }
}

test('10,000 leases with keys, renewals and lost proposals: none missed, none early', () => {
  const sim = new Sim(3, 42);
  const rand = rng(1);
  // 1,000 grants per second for 10 s, TTLs 5-40 s, 1-3 keys each, a fifth kept alive for a while.
  for (let i = 0; i < 10_000; i++) {
    if (i % 100 === 0 && i > 0) sim.step(0.02);
    const keys = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, j) => `/svc/${i}/${j}`);
    sim.grant(
      BigInt(i + 1),
      5 + Math.floor(rand() * 36),
      keys,
      rand() < 0.2 ? 1 + Math.floor(rand() * 3) : 0,
    );
  }
  for (let s = 0; s < 2_000 && !sim.done(); s++) sim.step(0.02);

  assert.ok(sim.done(), 'every lease revoked');
  assert.equal(sim.kv.size, 0);
  for (const m of sim.members) assert.equal(m.size, 0);
  let maxLate = 0;
  for (const tr of sim.leases.values()) {
    // Handed out at the first poll after the deadline; again only after the 3 s retry interval.
    const late = tr.handedOut[0] - tr.deadline;
    maxLate = Math.max(maxLate, late);
    assert.ok(late < 500, `first hand-out ${late} ms late`);
    for (let i = 1; i < tr.handedOut.length; i++) assert.ok(tr.handedOut[i] - tr.handedOut[i - 1] >= 3000);
  }
  assert.ok(sim.dropped > 0, 'some revoke proposals were lost and retried');
});

test('10,000 leases expiring at once drain at the revoke rate', () => {
  const sim = new Sim(1, 7, { revokeRate: 1000 });
  for (let i = 0; i < 10_000; i++) sim.grant(BigInt(i + 1), 10, [`/k/${i}`], 0);
  const perPoll: number[] = [];
  let handed = 0;
  for (let s = 0; s < 400 && !sim.done(); s++) {
    sim.step(0);
    if (sim.handedOut > handed) perPoll.push(sim.handedOut - handed);
    handed = sim.handedOut;
  }
  assert.ok(sim.done());
  assert.equal(sim.kv.size, 0);
  // etcd's pace: revokeRate/2 every 500 ms, so 10 s for 10,000.
  assert.ok(
    perPoll.every((n) => n <= 500),
    `per poll: ${perPoll}`,
  );
  const last = Math.max(...[...sim.leases.values()].map((tr) => tr.handedOut[0]));
  const first = Math.min(...[...sim.leases.values()].map((tr) => tr.handedOut[0]));
  assert.ok(last - first <= 10_000, `drained in ${last - first} ms`);
  assert.ok(last - first >= 9_000, `drained in ${last - first} ms, faster than the rate`);
});

test('10,000 leases across a leader change: checkpoints carried over, none early, none missed', () => {
  const sim = new Sim(3, 9, { checkpointIntervalMs: 5_000 });
  const rand = rng(3);
  for (let i = 0; i < 10_000; i++) {
    if (i % 500 === 0 && i > 0) sim.step(0);
    sim.grant(BigInt(i + 1), 5 + Math.floor(rand() * 30), [`/a/${i}`], rand() < 0.3 ? 2 : 0);
  }
  let changed = false;
  let promotedAt = 0;
  for (let s = 0; s < 3_000 && !sim.done(); s++) {
    sim.step(0);
    // The leader's checkpoint loop, once a second.
    if (sim.t % 1000 === 0) {
      for (let cps = sim.leader.dueCheckpoints(); cps.length > 0; cps = sim.leader.dueCheckpoints()) {
        const batch = cps;
        sim.propose((l) => {
          for (const cp of batch) l.checkpoint(cp.id, cp.remainingTTL);
        });
      }
    }
    if (!changed && sim.t >= 18_000) {
      // Old leader steps down; 1 s election; the new one applies the log, then promotes.
      changed = true;
      sim.leader.demote();
      for (let i = 0; i < 10; i++) sim.step(0);
      sim.leader = sim.members[1];
      sim.leader.promote(1_000);
      promotedAt = sim.t;
      for (const m of sim.members) assert.equal(m.isPrimary, m === sim.leader);
    }
  }
  assert.ok(sim.done(), 'every lease revoked');
  assert.equal(sim.kv.size, 0);
  for (const m of sim.members) assert.equal(m.size, 0);
  // Leases alive at the change resumed from a checkpoint at most one interval old (5 s, polled each 1 s,
  // rounded up to 1 s) plus the 1 s extension and the 500 ms revoke poll, not from their full TTL.
  const bound = 5_000 + 1_000 + 1_000 + 1_000 + 500;
  let wouldBeLate = 0;
  for (const tr of sim.leases.values()) {
    if (tr.deadline <= promotedAt) continue;
    const late = tr.handedOut[0] - tr.deadline;
    assert.ok(late >= 0 && late <= bound, `handed out ${late} ms after the deadline`);
    wouldBeLate = Math.max(wouldBeLate, promotedAt + 1_000 + tr.ttl * 1000 - tr.deadline);
  }
  assert.ok(wouldBeLate > 2 * bound, `without checkpoints leases would be up to ${wouldBeLate} ms late`);
});

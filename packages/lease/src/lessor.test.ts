import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseExistsError, LeaseNotFoundError, LeaseTTLTooLargeError, NotPrimaryError } from './errors.js';
import { LeaseIdGenerator } from './id-generator.js';
import { type LeaseCheckpoint, Lessor, type LessorOptions, MAX_LEASE_TTL } from './lessor.js';
import { decodeLeaseRecord, encodeLeaseRecord, type LeaseRecord, type LeaseRecordChange } from './record.js';

function clock(start = 1_000_000) {
  const c = {
    t: start,
    now: () => c.t,
    advance: (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

function leader(opts: LessorOptions = {}) {
  const c = clock();
  const l = new Lessor({ now: c.now, ...opts });
  l.promote(0);
  return { c, l };
}

const byId = (cps: LeaseCheckpoint[]) => [...cps].sort((x, y) => (x.id < y.id ? -1 : 1));
const k = (s: string) => Buffer.from(s);
const str = (keys: Uint8Array[]) => keys.map((x) => Buffer.from(x).toString());

test('grant: minimum TTL, duplicates, too large, id 0', () => {
  const { l } = leader({ minTTL: 2 });
  const g = l.grant(1n, 1);
  assert.equal(g.ttl, 2);
  assert.deepEqual(g.change, { put: { id: 1n, ttl: 2, remainingTTL: 0 } });
  assert.equal(l.grant(2n, 60).ttl, 60);
  assert.throws(() => l.grant(1n, 10), LeaseExistsError);
  assert.throws(
    () => l.grant(3n, MAX_LEASE_TTL + 1),
    (e: Error) => {
      assert.ok(e instanceof LeaseTTLTooLargeError);
      assert.equal(e.message, 'etcdserver: too large lease TTL');
      return true;
    },
  );
  assert.equal(l.grant(3n, MAX_LEASE_TTL).ttl, MAX_LEASE_TTL);
  assert.throws(() => l.grant(0n, 10), LeaseNotFoundError);
  assert.throws(() => l.grant(4n, Number.NaN), RangeError);
  assert.equal(l.grant(4n, -5).ttl, 2);
  assert.throws(() => l.grant(1n, 10), { message: 'etcdserver: lease already exists' });
  assert.equal(l.size, 4);
  assert.deepEqual(l.lookup(2n), { id: 2n, ttl: 60, remainingTTL: 0 });
  assert.equal(l.lookup(9n), undefined);
});

test('attach, detach, moving a key, revoke returns sorted keys', () => {
  const { l } = leader();
  l.grant(1n, 60);
  l.grant(2n, 60);
  l.attach(1n, [k('b'), k('a'), k('c'), Buffer.from([0xff, 0x00])]);
  assert.equal(l.getLease(k('a')), 1n);
  assert.equal(l.getLease(k('zz')), 0n);
  // Re-put with another lease moves the key.
  l.attach(2n, [k('c')]);
  assert.equal(l.getLease(k('c')), 2n);
  l.detach(1n, [k('b')]);
  assert.equal(l.getLease(k('b')), 0n);
  // Detaching from the wrong lease leaves the key where it is.
  l.detach(1n, [k('c')]);
  assert.equal(l.getLease(k('c')), 2n);
  assert.throws(() => l.attach(7n, [k('x')]), { message: 'etcdserver: requested lease not found' });
  l.detach(7n, [k('x')]);
  // keysOf is replicated state (any member), in key order.
  assert.deepEqual(
    l.keysOf(1n).map((x) => [...x]),
    [[0x61], [0xff, 0x00]],
  );
  assert.deepEqual(l.keysOf(7n), []);

  const r = l.revoke(1n);
  assert.deepEqual(
    r.keys.map((x) => [...x]),
    [[0x61], [0xff, 0x00]],
  );
  assert.deepEqual(r.change, { delete: 1n });
  assert.equal(l.getLease(k('a')), 0n);
  assert.equal(l.has(1n), false);
  assert.throws(() => l.revoke(1n), LeaseNotFoundError);
  // The server deletes the returned keys, and mvcc detaches them: harmless after revoke.
  l.detach(1n, r.keys);
  assert.deepEqual(str(l.revoke(2n).keys), ['c']);
});

test('keepalive refreshes to the full TTL; expiry happens at the deadline, not before', () => {
  const { c, l } = leader();
  l.grant(1n, 10);
  l.attach(1n, [k('foo')]);
  c.advance(9_000);
  assert.equal(l.timeToLive(1n).ttl, 1);
  assert.deepEqual(l.renew(1n), { ttl: 10 });
  const ttl = l.timeToLive(1n);
  assert.deepEqual({ ...ttl, keys: str(ttl.keys) }, { id: 1n, ttl: 10, grantedTTL: 10, keys: ['foo'] });
  c.advance(9_999);
  assert.deepEqual(l.expired(), []);
  c.advance(1);
  assert.deepEqual(l.expired(), [1n]);
  // Handed out once: not again until the retry interval, and it cannot be renewed back.
  assert.deepEqual(l.expired(), []);
  assert.throws(() => l.renew(1n), LeaseNotFoundError);
  assert.equal(l.timeToLive(1n).ttl, 0);
  assert.throws(() => l.renew(2n), LeaseNotFoundError);
  assert.throws(() => l.timeToLive(2n), LeaseNotFoundError);
});

test('a lost revoke proposal is handed out again after the retry interval', () => {
  const { c, l } = leader({ expiredRetryMs: 5000 });
  l.grant(1n, 5);
  l.grant(2n, 6);
  c.advance(6_000);
  assert.deepEqual(l.expired(), [1n, 2n]);
  l.revoke(2n); // 1's proposal was lost
  c.advance(4_999);
  assert.deepEqual(l.expired(), []);
  c.advance(1);
  assert.deepEqual(l.expired(), [1n]);
});

test('expired() hands out the oldest first, within limit and revoke rate', () => {
  const { c, l } = leader({ revokeRate: 10 });
  for (let i = 1; i <= 30; i++) l.grant(BigInt(i), 100 - i); // 30 expires first
  c.advance(100_000);
  // Burst is rate/2 = 5; the caller's limit can be smaller.
  assert.deepEqual(l.expired(2), [30n, 29n]);
  assert.deepEqual(l.expired(), [28n, 27n, 26n]);
  assert.deepEqual(l.expired(), []);
  c.advance(300);
  assert.deepEqual(l.expired(), [25n, 24n, 23n]);
  c.advance(10_000);
  assert.equal(l.expired().length, 5);
});

test('only the primary expires, renews and answers timeToLive', () => {
  const c = clock();
  const l = new Lessor({ now: c.now });
  l.grant(1n, 5);
  c.advance(60_000);
  assert.deepEqual(l.expired(), []);
  assert.throws(() => l.renew(1n), NotPrimaryError);
  assert.throws(() => l.timeToLive(1n), NotPrimaryError);
  assert.deepEqual(l.dueCheckpoints(), []);
  assert.deepEqual(l.leases(), [1n]);
});

test('promote: every lease restarts from its full TTL plus the extension', () => {
  const c = clock();
  const l = new Lessor({ now: c.now });
  l.grant(1n, 10);
  l.grant(2n, 20);
  c.advance(50_000);
  l.promote(1_500);
  assert.equal(l.isPrimary, true);
  c.advance(11_499);
  assert.deepEqual(l.expired(), []);
  c.advance(1);
  assert.deepEqual(l.expired(), [1n]);
  assert.equal(l.timeToLive(2n).ttl, 10);
  assert.deepEqual(l.leases(), [1n, 2n]);
});

test('demote stops expiry; a new leader resumes from the checkpointed remaining TTL', () => {
  const opts = { checkpointIntervalMs: 60_000 };
  const ca = clock();
  const cb = clock(5_000_000); // the two members' clocks need not agree
  const a = new Lessor({ now: ca.now, ...opts });
  const b = new Lessor({ now: cb.now, ...opts });
  a.promote(0);
  const both = (f: (l: Lessor) => unknown) => [f(a), f(b)];
  both((l) => l.grant(1n, 300));
  both((l) => l.grant(2n, 300));
  both((l) => l.grant(3n, 30)); // too short to checkpoint
  ca.advance(59_999);
  cb.advance(59_999);
  assert.deepEqual(a.dueCheckpoints(), []);
  ca.advance(1);
  cb.advance(1);
  const cps = byId(a.dueCheckpoints());
  assert.deepEqual(cps, [
    { id: 1n, remainingTTL: 240 },
    { id: 2n, remainingTTL: 240 },
  ]);
  assert.deepEqual(b.dueCheckpoints(), []);
  for (const cp of cps) {
    const [ca1, cb1] = both((l) => l.checkpoint(cp.id, cp.remainingTTL));
    assert.deepEqual(ca1, { put: { id: cp.id, ttl: 300, remainingTTL: 240 } });
    assert.deepEqual(cb1, ca1);
  }
  assert.equal(a.checkpoint(9n, 5), undefined);
  // Applying a checkpoint does not move the leader's own expiry.
  assert.equal(a.timeToLive(1n).ttl, 240);
  // Lease 2 is renewed: the reset goes through raft too.
  const r = a.renew(2n);
  assert.deepEqual(r, { ttl: 300, checkpoint: { id: 2n, remainingTTL: 0 } });
  both((l) => l.checkpoint(2n, 0));
  assert.deepEqual(a.renew(2n), { ttl: 300 });

  // Leader change: a steps down, b takes over 10 s later with a 1 s election timeout.
  a.demote();
  assert.equal(a.isPrimary, false);
  ca.advance(10_000);
  assert.deepEqual(a.expired(), []);
  cb.advance(10_000);
  b.promote(1_000);
  assert.equal(b.timeToLive(1n).ttl, 241);
  assert.equal(b.timeToLive(2n).ttl, 301);
  assert.equal(b.timeToLive(3n).ttl, 31);
  cb.advance(241_000);
  assert.deepEqual(b.expired(), [3n, 1n]);
});

test('checkpoints are rescheduled every interval and skipped for freshly renewed leases', () => {
  const { c, l } = leader({ checkpointIntervalMs: 10_000 });
  l.grant(1n, 35);
  l.grant(2n, 35);
  c.advance(10_000);
  assert.deepEqual(byId(l.dueCheckpoints()), [
    { id: 1n, remainingTTL: 25 },
    { id: 2n, remainingTTL: 25 },
  ]);
  // Proposals lost: they come again one interval later with fresh values.
  c.advance(5_000);
  l.renew(2n);
  c.advance(5_000);
  assert.deepEqual(byId(l.dueCheckpoints()), [
    { id: 1n, remainingTTL: 15 },
    { id: 2n, remainingTTL: 30 },
  ]);
  c.advance(10_000);
  // Lease 1 has 5 s left, under one interval: this is its last checkpoint.
  assert.deepEqual(byId(l.dueCheckpoints()), [
    { id: 1n, remainingTTL: 5 },
    { id: 2n, remainingTTL: 20 },
  ]);
  c.advance(10_000);
  assert.deepEqual(l.dueCheckpoints(), [{ id: 2n, remainingTTL: 10 }]);
  c.advance(10_000);
  assert.deepEqual(l.dueCheckpoints(), []);
  // A renew right before the due time means there is nothing to record.
  l.grant(3n, 35);
  c.advance(10_000);
  l.renew(3n);
  assert.deepEqual(l.dueCheckpoints(), []);
  const batch = leader({ checkpointIntervalMs: 1_000 });
  for (let i = 1; i <= 25; i++) batch.l.grant(BigInt(i), 10);
  batch.c.advance(1_000);
  assert.equal(batch.l.dueCheckpoints(10).length, 10);
  assert.equal(batch.l.dueCheckpoints(10).length, 10);
  assert.equal(batch.l.dueCheckpoints(10).length, 5);
  const off = leader({ checkpointIntervalMs: 1_000, checkpointing: false });
  off.l.grant(1n, 10);
  off.c.advance(5_000);
  assert.deepEqual(off.l.dueCheckpoints(), []);
});

test('a renew while a checkpoint is still in flight also clears it through raft', () => {
  const { c, l } = leader({ checkpointIntervalMs: 10_000 });
  l.grant(1n, 60);
  c.advance(10_000);
  const [cp] = l.dueCheckpoints();
  assert.deepEqual(cp, { id: 1n, remainingTTL: 50 });
  // Renewed before the checkpoint commits: the reset must follow it through the log.
  assert.deepEqual(l.renew(1n), { ttl: 60, checkpoint: { id: 1n, remainingTTL: 0 } });
  l.checkpoint(cp.id, cp.remainingTTL);
  assert.deepEqual(l.renew(1n), { ttl: 60, checkpoint: { id: 1n, remainingTTL: 0 } });
  l.checkpoint(1n, 0);
  assert.deepEqual(l.renew(1n), { ttl: 60 });
  assert.deepEqual(l.lookup(1n), { id: 1n, ttl: 60, remainingTTL: 0 });
});

test('recover rebuilds leases and key attachment from records and mvcc keys', () => {
  const { c, l } = leader({ minTTL: 3 });
  const store = new Map<bigint, Uint8Array>();
  const write = (ch: LeaseRecordChange | undefined) => {
    if (ch === undefined) return;
    if ('put' in ch) store.set(ch.put.id, encodeLeaseRecord(ch.put));
    else store.delete(ch.delete);
  };
  write(l.grant(1n, 60).change);
  write(l.grant(2n, 600).change);
  write(l.grant(3n, 10).change);
  write(l.checkpoint(2n, 500));
  write(l.revoke(3n).change);
  const kvs = [
    { key: k('a'), lease: 1n },
    { key: k('b'), lease: 2n },
    { key: k('c'), lease: 0n },
    { key: k('d') },
    { key: k('e'), lease: 3n }, // lease gone: reported
  ];

  const c2 = clock(77);
  const r = new Lessor({ now: c2.now, minTTL: 100 });
  const records: LeaseRecord[] = [...store.values()].map(decodeLeaseRecord);
  const { orphanKeys } = r.recover(records, kvs);
  assert.deepEqual(str(orphanKeys), ['e']);
  assert.deepEqual(r.lookup(1n), { id: 1n, ttl: 100, remainingTTL: 0 });
  assert.deepEqual(r.lookup(2n), { id: 2n, ttl: 600, remainingTTL: 500 });
  assert.equal(r.has(3n), false);
  assert.equal(r.getLease(k('b')), 2n);
  assert.equal(r.getLease(k('c')), 0n);
  // Nothing expires until promote, then lease 2 resumes from its checkpoint.
  c2.advance(10_000_000);
  assert.deepEqual(r.expired(), []);
  r.promote(0);
  assert.equal(r.timeToLive(2n).ttl, 500);
  assert.deepEqual(str(r.revoke(1n).keys), ['a']);
  assert.ok(c.t > 0);
});

test('promote spreads a pile-up so expiries stay under 3/4 of the revoke rate', () => {
  const c = clock();
  const l = new Lessor({ now: c.now, revokeRate: 100 });
  for (let i = 1; i <= 300; i++) l.grant(BigInt(i), 10);
  l.promote(0);
  // Nobody expires early...
  c.advance(9_999);
  assert.deepEqual(l.expired(), []);
  c.advance(1);
  // ...and with a revoke rate of 100/s, expired() (polled every 100 ms) sees at most 75 due per second.
  const perSecond: number[] = [];
  const seen = new Set<bigint>();
  for (let s = 0; s < 6; s++) {
    let n = 0;
    for (let t = 0; t < 10; t++) {
      for (const id of l.expired()) {
        assert.ok(!seen.has(id));
        seen.add(id);
        l.revoke(id);
        n++;
      }
      c.advance(100);
    }
    perSecond.push(n);
  }
  assert.ok(
    perSecond.every((n) => n <= 76),
    `per second: ${perSecond}`,
  );
  assert.equal(seen.size, 300);
  assert.equal(l.size, 0);
});

test('applied operations give the same state and changes on leader and follower', () => {
  const cl = clock();
  const cf = clock(123);
  const lead = new Lessor({ now: cl.now, minTTL: 3, checkpointIntervalMs: 1_000 });
  const follow = new Lessor({ now: cf.now, minTTL: 3, checkpointIntervalMs: 1_000 });
  lead.promote(0);
  const gen = new LeaseIdGenerator(0x1234n, 1_700_000_000_000);
  let seed = 11;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const ids: bigint[] = [];
  const outcome = (f: () => unknown): unknown => {
    try {
      const r = f() as { keys?: Uint8Array[] } | undefined;
      return r?.keys ? { ...r, keys: str(r.keys) } : r;
    } catch (e) {
      return (e as Error).message;
    }
  };
  for (let i = 0; i < 3000; i++) {
    const r = rand();
    const id = ids.length > 0 && r < 0.7 ? ids[Math.floor(rand() * ids.length)] : gen.next();
    const key = [k(`/k/${Math.floor(rand() * 200)}`)];
    let op: (l: Lessor) => unknown;
    if (r < 0.3 || !ids.includes(id)) {
      ids.push(id);
      const ttl = Math.floor(rand() * 20);
      op = (l) => l.grant(id, ttl);
    } else if (r < 0.5) op = (l) => l.attach(id, key);
    else if (r < 0.6) op = (l) => l.detach(id, key);
    else if (r < 0.65) {
      const remaining = Math.floor(rand() * 10);
      op = (l) => l.checkpoint(id, remaining);
    } else op = (l) => l.revoke(id);
    assert.deepEqual(
      outcome(() => op(lead)),
      outcome(() => op(follow)),
    );
    cl.advance(Math.floor(rand() * 50));
    cf.advance(7);
  }
  const state = (l: Lessor) =>
    [...ids]
      .sort()
      .map((id) => [l.lookup(id), [...Array(200).keys()].filter((n) => l.getLease(k(`/k/${n}`)) === id)]);
  assert.deepEqual(state(lead), state(follow));
  assert.ok(lead.size > 10);
});

test('recover on the primary restarts expiry at once', () => {
  const { c, l } = leader();
  l.grant(1n, 5);
  l.recover(
    [
      { id: 2n, ttl: 5, remainingTTL: 0 },
      { id: 3n, ttl: 50, remainingTTL: 2 },
    ],
    [],
  );
  assert.equal(l.has(1n), false);
  c.advance(2_000);
  assert.deepEqual(l.expired(), [3n]);
  l.revoke(3n);
  c.advance(3_000);
  assert.deepEqual(l.expired(), [2n]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseIdGenerator } from './id-generator.js';

test('IDs are positive, unique, increasing and carry the member prefix', () => {
  const g = new LeaseIdGenerator(0x8e9e05c52164694dn, 1_700_000_000_000);
  const seen = new Set<bigint>();
  let prev = 0n;
  for (let i = 0; i < 10_000; i++) {
    const id = g.next();
    assert.ok(id > 0n && id < 2n ** 63n);
    assert.ok(id > prev);
    assert.equal(id >> 48n, 0x694dn & 0x7fffn);
    seen.add(id);
    prev = id;
  }
  assert.equal(seen.size, 10_000);
});

test('members and restarts do not collide', () => {
  const a = new LeaseIdGenerator(1n, 1000);
  const b = new LeaseIdGenerator(2n, 1000);
  const ids = new Set<bigint>();
  for (let i = 0; i < 1000; i++) {
    ids.add(a.next());
    ids.add(b.next());
  }
  assert.equal(ids.size, 2000);
  // A restart one millisecond later starts past the 256 IDs the first run could hand out in that ms.
  const first = new LeaseIdGenerator(1n, 5000);
  let last = 0n;
  for (let i = 0; i < 255; i++) last = first.next();
  assert.ok(new LeaseIdGenerator(1n, 5001).next() > last);
});

test('never hands out 0', () => {
  const g = new LeaseIdGenerator(0n, 0);
  for (let i = 0; i < 300; i++) assert.notEqual(g.next(), 0n);
});

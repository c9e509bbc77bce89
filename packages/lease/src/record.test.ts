import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeLeaseKey, decodeLeaseRecord, encodeLeaseKey, encodeLeaseRecord } from './record.js';

test('encodes as etcd leasepb.Lease protobuf bytes', () => {
  // ID=1 -> 08 01, TTL=10 -> 10 0a, RemainingTTL=300 -> 18 ac 02
  const bytes = encodeLeaseRecord({ id: 1n, ttl: 10, remainingTTL: 300 });
  assert.deepEqual([...bytes], [0x08, 0x01, 0x10, 0x0a, 0x18, 0xac, 0x02]);
  // Zero fields are omitted, as proto3 does.
  assert.deepEqual([...encodeLeaseRecord({ id: 5n, ttl: 0, remainingTTL: 0 })], [0x08, 0x05]);
});

test('round-trips the whole int64 range and skips unknown fields', () => {
  for (const id of [1n, 0x7fffffffffffffffn, -1n, -(2n ** 63n), 0x1234567890abcdn]) {
    const r = { id, ttl: 9_000_000_000, remainingTTL: 42 };
    assert.deepEqual(decodeLeaseRecord(encodeLeaseRecord(r)), r);
  }
  const withExtra = Uint8Array.from([
    ...encodeLeaseRecord({ id: 3n, ttl: 7, remainingTTL: 0 }),
    0x22,
    0x02,
    1,
    2,
  ]);
  assert.deepEqual(decodeLeaseRecord(withExtra), { id: 3n, ttl: 7, remainingTTL: 0 });
  assert.throws(() => decodeLeaseRecord(Uint8Array.from([0x08, 0x80])), /truncated/);
});

test('keys are the ID as 8 bytes big-endian', () => {
  assert.deepEqual([...encodeLeaseKey(0x0102n)], [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...encodeLeaseKey(-1n)], [255, 255, 255, 255, 255, 255, 255, 255]);
  assert.equal(decodeLeaseKey(encodeLeaseKey(-1n)), -1n);
  assert.equal(decodeLeaseKey(encodeLeaseKey(0x694d7a1b2c3d4e5fn)), 0x694d7a1b2c3d4e5fn);
  assert.throws(() => decodeLeaseKey(new Uint8Array(7)), /8 bytes/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClusterId, computeMemberId, hexToId, idToHex } from './member-id.js';
import { RequestIdGenerator } from './request-id.js';

// Values printed by Debian's etcd 3.4 at start ("starting member X in cluster Y").
test('member and cluster IDs match etcd for the default single member', () => {
  const m = computeMemberId(['http://localhost:2380'], 'etcd-cluster');
  assert.equal(idToHex(m), '8e9e05c52164694d');
  assert.equal(idToHex(computeClusterId([m])), 'cdf818194e3a8c32');
});

test('member and cluster IDs match etcd for a custom peer URL', () => {
  const m = computeMemberId(['http://127.0.0.1:23801'], 'etcd-cluster');
  assert.equal(idToHex(m), 'bdae9bbc11dd390d');
  assert.equal(idToHex(computeClusterId([m])), 'd1cfaf999eb97a2a');
});

test('peer URL order does not change the member ID', () => {
  const a = computeMemberId(['http://b:2380', 'http://a:2380'], 't');
  const b = computeMemberId(['http://a:2380', 'http://b:2380'], 't');
  assert.equal(a, b);
  assert.notEqual(a, computeMemberId(['http://a:2380', 'http://b:2380'], 'other'));
});

test('hex round trip', () => {
  assert.equal(hexToId('8e9e05c52164694d'), 0x8e9e05c52164694dn);
  assert.throws(() => hexToId('zz'));
});

test('request IDs carry the member prefix and increase', () => {
  const g = new RequestIdGenerator(0x8e9e05c52164694dn, 1_700_000_000_000);
  const a = g.next();
  const b = g.next();
  assert.equal(a >> 48n, 0x694dn);
  assert.equal(b, a + 1n);
  const later = new RequestIdGenerator(0x8e9e05c52164694dn, 1_700_000_000_001);
  assert.ok(later.next() > b);
});

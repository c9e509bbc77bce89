import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInitialCluster } from '../config/initial-cluster.js';
import { RaftCluster } from './cluster.js';
import { newMember } from './member.js';

test('initial cluster IDs match etcd and validation rejects duplicates', () => {
  const c = RaftCluster.fromInitial(
    parseInitialCluster('default=http://localhost:2380'),
    'etcd-cluster',
    'default',
  );
  assert.equal(c.localId.toString(16), '8e9e05c52164694d');
  assert.equal(c.clusterId.toString(16), 'cdf818194e3a8c32');
  assert.throws(
    () => c.validateAdd(newMember('x', ['http://localhost:2380'], 'etcd-cluster')),
    /MemberExist/,
  );
  assert.throws(
    () => c.validateAdd(newMember('x', ['http://localhost:2380'], 'etcd-cluster', 5)),
    /PeerURLExist/,
  );
  const n = newMember('', ['http://h2:2380'], 'etcd-cluster', 5);
  c.validateAdd(n);
  c.add(n);
  c.remove(n.id);
  assert.throws(() => c.validateAdd(n), /IDRemoved/);
  const copy = new RaftCluster(0n, c.localId);
  copy.restore(JSON.parse(JSON.stringify(c.toJson())));
  assert.deepEqual(copy.toJson(), c.toJson());
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { EtcdError } from './errors';
import { serverKind, TestCluster } from './test-support/etcd-cluster';

describe('maintenance and cluster against a real 3-member cluster', () => {
  let cluster: TestCluster;
  let client: Client;
  before(async () => {
    cluster = await TestCluster.start({ size: 3 });
    client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 10_000 });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('status of every member agrees on the leader', async () => {
    const all = await client.maintenance.statusAll();
    assert.equal(all.length, 3);
    const statuses = all.map((s) => {
      assert.ok('status' in s, `status of ${s.endpoint}`);
      return s.status;
    });
    const leaders = new Set(statuses.map((s) => s.leader));
    assert.equal(leaders.size, 1);
    const ids = new Set(statuses.map((s) => s.header.memberId));
    assert.equal(ids.size, 3);
    assert.ok(ids.has([...leaders][0]));
    for (const s of statuses) {
      assert.match(s.version, /^3\./);
      assert.ok(s.dbSize > 0 && s.raftIndex > 0 && s.raftTerm > 0);
      assert.equal(s.isLearner, false);
    }
  });

  test('hashKV matches across members at one revision', async () => {
    for (let i = 0; i < 10; i++) await client.put(`h/${i}`, String(i));
    const rev = (await client.get('h/0')).header.revision;
    // Wait until every member applied rev (serializable reads are answered locally).
    for (const endpoint of cluster.endpoints) {
      for (let t = 0; t < 100; t++) {
        if ((await client.get('h/0', { serializable: true, endpoint })).header.revision >= rev) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const hashes = await Promise.all(
      cluster.endpoints.map((endpoint) => client.maintenance.hashKV(rev, { endpoint })),
    );
    assert.equal(new Set(hashes.map((h) => h.hash)).size, 1);
    const h = await client.maintenance.hash({ endpoint: cluster.endpoints[0] });
    assert.ok(Number.isInteger(h.hash));
  });

  test('snapshot to a file, defragment, alarms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-snap-'));
    try {
      const path = join(dir, 'snap.db');
      const { size } = await client.maintenance.snapshotToFile(path, { endpoint: cluster.endpoints[0] });
      assert.equal(statSync(path).size, size);
      // Both servers end the stream with a sha256 of everything before it, which restore verifies.
      const bytes = readFileSync(path);
      assert.ok(size > 32);
      const digest = createHash('sha256')
        .update(bytes.subarray(0, size - 32))
        .digest();
      assert.deepEqual(bytes.subarray(size - 32), digest);
      // etcd's snapshot is a bbolt file: at least four pages, the magic 0xED0CDAED in the first meta
      // page. (Our server keeps RocksDB, so its snapshot format is its own.)
      if (serverKind() === 'etcd') {
        assert.ok(size > 4096);
        assert.equal(bytes.readUInt32LE(16), 0xed0cdaed);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await client.maintenance.defragment({ endpoint: cluster.endpoints[1] });
    assert.deepEqual(await client.maintenance.alarms(), []);
    assert.deepEqual(await client.maintenance.disarmAlarm({ memberId: 0n, alarm: 'NOSPACE' }), []);
  });

  test('moveLeader hands leadership to a follower', async () => {
    const s = await client.maintenance.status();
    const members = (await client.cluster.memberList()).members;
    const target = members.find((m) => m.id !== s.leader)!;
    await client.maintenance.moveLeader(target.id);
    const after = await client.maintenance.status({ endpoint: target.clientUrls[0] });
    assert.equal(after.leader, target.id);
    // The cluster keeps serving writes under its new leader.
    await client.put('after/move', 'ok');
  });
  test('member list, add a learner, promote refuses an unsynced learner, update, remove', async () => {
    const list = await client.cluster.memberList();
    assert.equal(list.members.length, 3);
    assert.deepEqual(list.members.map((m) => m.clientUrls[0]).sort(), [...cluster.endpoints].sort());
    // etcd refuses membership changes until every member has been connected for 5 s ("unhealthy cluster").
    let added: Awaited<ReturnType<typeof client.cluster.memberAdd>> | undefined;
    for (let t = 0; !added; t++) {
      try {
        added = await client.cluster.memberAdd(['http://127.0.0.1:1'], { isLearner: true });
      } catch (e) {
        if (t > 40 || !(e instanceof EtcdError && /unhealthy cluster/.test(e.details))) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assert.equal(added.member.isLearner, true);
    assert.equal(added.member.name, '');
    assert.equal(added.members.length, 4);
    await assert.rejects(client.cluster.memberPromote(added.member.id), (e: unknown) => {
      assert.ok(e instanceof EtcdError);
      assert.match(e.details, /learner/);
      return true;
    });
    const updated = await client.cluster.memberUpdate(added.member.id, ['http://127.0.0.1:2']);
    assert.deepEqual(updated.members.find((m) => m.id === added.member.id)?.peerUrls, ['http://127.0.0.1:2']);
    const removed = await client.cluster.memberRemove(added.member.id);
    assert.equal(removed.members.length, 3);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { LeaseLostError, LeaseNotFoundError } from './errors';
import { TestCluster } from './test-support/etcd-cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lease against a real server', () => {
  let cluster: TestCluster;
  let client: Client;
  before(async () => {
    cluster = await TestCluster.start();
    client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 5000 });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('grant, attach keys, timeToLive, leases, revoke', async () => {
    const lease = await client.lease.grant(30, { keepAlive: false });
    assert.equal(lease.ttl, 30);
    assert.ok(lease.id > 0n);
    await client.put('l/a', '1', { lease });
    await client.put('l/b', '2', { lease: lease.id });
    assert.equal((await client.get('l/a')).kvs[0].lease, lease.id);
    const ttl = await lease.timeToLive({ keys: true });
    assert.equal(ttl.id, lease.id);
    assert.equal(ttl.grantedTtl, 30);
    assert.ok(ttl.ttl > 0 && ttl.ttl <= 30);
    assert.deepEqual(ttl.keys.map((k) => k.toString()).sort(), ['l/a', 'l/b']);
    assert.ok((await client.lease.leases()).includes(lease.id));
    await lease.revoke();
    assert.equal((await client.get('l/', { prefix: true })).count, 0);
    assert.equal((await client.lease.timeToLive(lease.id)).ttl, -1);
    await assert.rejects(client.lease.revoke(lease.id), LeaseNotFoundError);
  });

  test('a chosen lease ID; keepAliveOnce', async () => {
    const id = 0x7abcdef012345678n;
    const lease = await client.lease.grant(5, { id, keepAlive: false });
    assert.equal(lease.id, id);
    assert.equal(await client.lease.keepAliveOnce(id), 5);
    await lease.revoke();
    assert.ok((await client.lease.keepAliveOnce(id)) <= 0);
  });

  test('keepAlive adopts an existing lease by ID', async () => {
    const granted = await client.lease.grant(2, { keepAlive: false });
    const other = new Client({ endpoints: cluster.endpoints });
    try {
      const adopted = await other.lease.keepAlive(granted.id);
      assert.equal(adopted.ttl, 2);
      await sleep(2500);
      assert.ok((await client.lease.timeToLive(granted.id)).ttl > 0);
      await adopted.revoke();
      await assert.rejects(other.lease.keepAlive(granted.id), LeaseNotFoundError);
    } finally {
      other.close();
    }
  });

  test('keepalive holds a short lease past its TTL', async () => {
    const lease = await client.lease.grant(1);
    let renewals = 0;
    lease.on('keepalive', () => renewals++);
    await client.put('l/kept', 'x', { lease });
    await sleep(2500);
    assert.equal(lease.isLost, false);
    assert.ok(renewals >= 3, `renewals ${renewals}`);
    assert.equal(await client.getString('l/kept'), 'x');
    await lease.revoke();
  });

  test('lost (expired) when the lease is revoked by someone else', async () => {
    const lease = await client.lease.grant(2);
    const other = new Client({ endpoints: cluster.endpoints });
    try {
      await other.lease.revoke(lease.id);
    } finally {
      other.close();
    }
    const err = await lease.lost.catch((e) => e);
    assert.ok(err instanceof LeaseLostError);
    assert.equal(err.reason, 'expired');
    assert.equal(err.leaseId, lease.id);
  });

  test('lost (timeout) when no member can renew it in time', async () => {
    const lease = await client.lease.grant(2);
    const t0 = Date.now();
    await cluster.kill(0);
    try {
      const err = await lease.lost.catch((e) => e);
      assert.ok(err instanceof LeaseLostError);
      assert.equal(err.reason, 'timeout');
      assert.ok(Date.now() - t0 <= 2500, 'lost within the TTL');
    } finally {
      await cluster.restart(0);
    }
  });
});

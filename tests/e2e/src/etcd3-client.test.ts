import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3, EtcdAuthenticationFailedError, EtcdPermissionDeniedError } from 'etcd3';
import { Cluster, SUITE_TIMEOUT_MS, serverKind, skipReason, sleep, waitFor } from './harness/index';

describe(`npm etcd3 client against a single member [${serverKind()}]`, {
  skip: skipReason(),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  let client: Etcd3;
  before(async () => {
    c = await Cluster.start({ size: 1 });
    client = new Etcd3({ hosts: c.clientUrls, dialTimeout: 5000 });
  });
  after(async () => {
    client?.close();
    await c?.destroy();
  });

  it('put, get, getAll by prefix, delete', async () => {
    await client.put('fruit/apple').value('red');
    await client.put('fruit/banana').value('yellow');
    await client.put('veg/kale').value('green');
    assert.equal(await client.get('fruit/apple').string(), 'red');
    assert.deepEqual(await client.getAll().prefix('fruit/').strings(), {
      'fruit/apple': 'red',
      'fruit/banana': 'yellow',
    });
    assert.equal(await client.getAll().prefix('fruit/').count(), 2);
    const del = await client.delete().prefix('fruit/');
    assert.equal(del.deleted, '2');
    assert.equal(await client.get('fruit/apple').string(), null);
    assert.equal(await client.get('veg/kale').string(), 'green');
  });

  it('put returns prev kv and revisions grow', async () => {
    const r1 = await client.put('rev').value('1');
    const r2 = await client.put('rev').value('2').getPrevious();
    assert.ok(r2 && r2.value.toString() === '1', 'previous value is 1');
    const r3 = await client.put('rev').value('3');
    assert.ok(Number(r3.header.revision) > Number(r1.header.revision));
    const kv = await client.get('rev').exec();
    assert.equal(kv.kvs[0]!.version, '3');
  });

  it('txn: compare-and-swap succeeds once, then takes the else branch', async () => {
    await client.put('cas').value('v1');
    const t1 = await client.if('cas', 'Value', '==', 'v1').then(client.put('cas').value('v2')).commit();
    assert.equal(t1.succeeded, true);
    const t2 = await client
      .if('cas', 'Value', '==', 'v1')
      .then(client.put('cas').value('v3'))
      .else(client.get('cas'))
      .commit();
    assert.equal(t2.succeeded, false);
    assert.equal(t2.responses[0]!.response_range!.kvs[0]!.value.toString(), 'v2');
    const t3 = await client
      .if('absent-key', 'Create', '==', 0)
      .then(client.put('absent-key').value('x'))
      .commit();
    assert.equal(t3.succeeded, true);
    assert.equal(await client.get('cas').string(), 'v2');
  });

  it('watch sees puts and deletes on a key and a prefix, in order', async () => {
    const seen: string[] = [];
    const w = await client.watch().prefix('w/').create();
    try {
      w.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
      w.on('delete', (kv) => seen.push(`del ${kv.key.toString()}`));
      await client.put('w/a').value('1');
      await client.put('other').value('x');
      await client.put('w/b').value('2');
      await client.delete().key('w/a');
      await waitFor('4 watch events', () => (seen.length >= 3 ? true : undefined), 10_000, 50);
      await waitFor(
        'delete event',
        () => (seen.length >= 3 && seen.includes('del w/a') ? true : undefined),
        10_000,
      );
      assert.deepEqual(seen, ['put w/a=1', 'put w/b=2', 'del w/a']);
    } finally {
      await w.cancel();
    }
  });

  it('lease: grant, keep-alive keeps the key, revoke deletes it', async () => {
    const lease = client.lease(2);
    const id = await lease.grant();
    assert.match(id, /^\d+$/);
    await lease.put('leased').value('yes');
    const ka = await lease.keepaliveOnce();
    assert.ok(Number(ka.TTL) >= 1, `keep-alive TTL ${ka.TTL}`);
    // Auto keep-alive runs meanwhile: the key outlives the 2 s TTL.
    await sleep(3500);
    assert.equal(await client.get('leased').string(), 'yes');
    await lease.revoke();
    assert.equal(await client.get('leased').string(), null);
  });

  it('lease: without keep-alive the lease expires and its key disappears', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    await lease.grant();
    await lease.put('ephemeral').value('soon gone');
    assert.equal(await client.get('ephemeral').string(), 'soon gone');
    const gone = await waitFor(
      'the leased key to disappear after expiry',
      async () => ((await client.get('ephemeral').string()) === null ? true : undefined),
      20_000,
      200,
    );
    assert.equal(gone, true);
    lease.release();
  });

  it('lock: held by one, refused to a second until released', async () => {
    // etcd3's Lock is a try-lock: a second acquire fails at once while the first holds the key.
    const first = await client.lock('mutex').ttl(10).acquire();
    await assert.rejects(client.lock('mutex').ttl(10).acquire(), /Failed to acquire a lock/);
    assert.equal(await client.getAll().prefix('mutex').count(), 1, 'exactly one lock key while held');
    await first.release();
    const second = await client.lock('mutex').ttl(10).acquire();
    await second.release();
    assert.equal(await client.getAll().prefix('mutex').count(), 0);
  });

  it('election: one leader at a time, observers see the change', async () => {
    const election = client.election('leader-of-e2e', 5);
    const a = election.campaign('alice');
    await a.wait();
    assert.equal(await election.leader(), 'alice');
    const b = election.campaign('bob');
    let bobElected = false;
    b.on('elected', () => {
      bobElected = true;
    });
    const observer = await election.observe();
    const changes: Array<string | undefined> = [];
    observer.on('change', (v) => changes.push(v));
    await sleep(1000);
    assert.equal(bobElected, false, 'bob must not be elected while alice leads');
    await a.resign();
    await waitFor('bob to be elected', () => (bobElected ? true : undefined), 15_000, 50);
    assert.equal(await election.leader(), 'bob');
    await waitFor('observer to see bob', () => (changes.includes('bob') ? true : undefined), 10_000, 50);
    await observer.cancel();
    await b.resign();
  });
});

describe(`npm etcd3 client with username/password auth [${serverKind()}]`, {
  skip: skipReason(),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  let admin: Etcd3;
  before(async () => {
    c = await Cluster.start({ size: 1 });
    const setup = new Etcd3({ hosts: c.clientUrls, dialTimeout: 5000 });
    try {
      await setup.user('root').create('rootpw');
      await setup.role('root').create();
      await setup.user('root').addRole('root');
      await setup.role('app').create();
      await setup.role('app').grant({ permission: 'Readwrite', range: setup.range({ prefix: 'app/' }) });
      await setup.user('alice').create('alicepw');
      await setup.user('alice').addRole('app');
      await setup.auth.authEnable();
    } finally {
      setup.close();
    }
    admin = new Etcd3({
      hosts: c.clientUrls,
      dialTimeout: 5000,
      auth: { username: 'root', password: 'rootpw' },
    });
  });
  after(async () => {
    admin?.close();
    await c?.destroy();
  });

  it('a user reads and writes its keys, is denied others; a wrong password fails', async () => {
    const alice = new Etcd3({
      hosts: c.clientUrls,
      dialTimeout: 5000,
      auth: { username: 'alice', password: 'alicepw' },
    });
    const wrong = new Etcd3({
      hosts: c.clientUrls,
      dialTimeout: 5000,
      auth: { username: 'alice', password: 'x' },
    });
    try {
      await alice.put('app/one').value('1');
      assert.equal(await alice.get('app/one').string(), '1');
      await assert.rejects(alice.put('secret').value('x').exec(), EtcdPermissionDeniedError);
      await assert.rejects(alice.get('secret').string(), EtcdPermissionDeniedError);
      await assert.rejects(wrong.get('app/one').string(), EtcdAuthenticationFailedError);
      await admin.put('secret').value('s');
      assert.equal(await admin.get('secret').string(), 's');
      assert.deepEqual(
        (await admin.user('alice').roles()).map((r) => r.name),
        ['app'],
      );
      const perms = await admin.role('app').permissions();
      assert.equal(perms.length, 1);
      assert.equal(perms[0]!.permission, 'Readwrite');
    } finally {
      alice.close();
      wrong.close();
    }
  });

  it('auth disable opens the store again', async () => {
    await admin.auth.authDisable();
    const anon = new Etcd3({ hosts: c.clientUrls, dialTimeout: 5000 });
    try {
      await anon.put('open').value('yes');
      assert.equal(await anon.get('open').string(), 'yes');
    } finally {
      anon.close();
    }
  });
});

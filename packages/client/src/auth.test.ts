import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { AuthFailedError, EtcdError, PermissionDeniedError } from './errors';
import { TestCluster } from './test-support/etcd-cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('auth against a real server', () => {
  let cluster: TestCluster;
  let admin: Client;
  before(async () => {
    // Tokens live 1 s, so the client has to re-authenticate during the test.
    cluster = await TestCluster.start({ args: ['--auth-token-ttl', '1'] });
    const anon = new Client({ endpoints: cluster.endpoints, defaultTimeout: 5000 });
    try {
      await anon.auth.userAdd('root', 'rootpw');
      await anon.auth.roleAdd('root');
      await anon.auth.userGrantRole('root', 'root');
      await anon.auth.roleAdd('app');
      await anon.auth.roleGrantPermission('app', 'readwrite', 'app/', { prefix: true });
      await anon.auth.roleGrantPermission('app', 'read', 'shared');
      await anon.auth.userAdd('alice', 'alicepw');
      await anon.auth.userGrantRole('alice', 'app');
      await anon.auth.authEnable();
    } finally {
      anon.close();
    }
    admin = new Client({
      endpoints: cluster.endpoints,
      auth: { username: 'root', password: 'rootpw' },
      defaultTimeout: 5000,
    });
  });
  after(async () => {
    admin?.close();
    await cluster?.stop();
  });

  test('users, roles and permissions read back', async () => {
    // AuthStatus exists from etcd 3.5 on; 3.4 answers UNIMPLEMENTED.
    const status = await admin.auth.authStatus().catch((e) => e);
    if (!(status instanceof EtcdError && status.code === 12)) assert.equal(status.enabled, true);
    assert.deepEqual((await admin.auth.userList()).sort(), ['alice', 'root']);
    assert.deepEqual((await admin.auth.roleList()).sort(), ['app', 'root']);
    assert.deepEqual((await admin.auth.userGet('alice')).roles, ['app']);
    const perms = (await admin.auth.roleGet('app')).permissions;
    assert.deepEqual(
      perms.map((p) => [p.permType, p.key.toString(), p.rangeEnd.toString()]),
      [
        ['readwrite', 'app/', 'app0'],
        ['read', 'shared', ''],
      ],
    );
  });

  test('a user is held to its role; wrong password and anonymous access fail', async () => {
    const alice = new Client({
      endpoints: cluster.endpoints,
      auth: { username: 'alice', password: 'alicepw' },
    });
    const wrong = new Client({ endpoints: cluster.endpoints, auth: { username: 'alice', password: 'nope' } });
    const anon = new Client({ endpoints: cluster.endpoints });
    try {
      await alice.put('app/x', '1');
      assert.equal(await alice.getString('app/x'), '1');
      await admin.put('shared', 's');
      assert.equal(await alice.getString('shared'), 's');
      await assert.rejects(alice.put('shared', 'no'), PermissionDeniedError);
      await assert.rejects(alice.put('other', 'no'), PermissionDeniedError);
      await assert.rejects(wrong.get('app/x'), AuthFailedError);
      await assert.rejects(wrong.watch('app/x'), AuthFailedError);
      await assert.rejects(anon.get('app/x'), EtcdError);
    } finally {
      alice.close();
      wrong.close();
      anon.close();
    }
  });

  test('an expired token is renewed transparently, for calls, watches and leases', async () => {
    const alice = new Client({
      endpoints: cluster.endpoints,
      auth: { username: 'alice', password: 'alicepw' },
    });
    try {
      await alice.put('app/t', '1');
      await sleep(2200);
      await alice.put('app/t', '2');
      assert.equal(await alice.getString('app/t'), '2');
      await sleep(2200);
      const w = await alice.watch('app/t');
      const lease = await alice.lease.grant(5);
      await alice.put('app/t', '3', { lease });
      for await (const e of w) {
        assert.equal(e.kv.valueString, '3');
        break;
      }
      await lease.revoke();
    } finally {
      alice.close();
    }
  });

  test('auth can be disabled again', async () => {
    await admin.auth.authDisable();
    const anon = new Client({ endpoints: cluster.endpoints });
    try {
      await anon.put('open', 'yes');
    } finally {
      anon.close();
    }
  });
});

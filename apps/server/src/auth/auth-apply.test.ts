// The auth store inside a real member: requests through raft, checked at apply as their proposer.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { authpb } from '@kv/api-proto';
import { startEtcd } from '../embed.js';
import { isEtcdError } from '../errors.js';
import { silentLogger } from '../etcd-server/logger.js';
import type { Caller } from '../server-api.js';
import { freePorts } from '../test-ports.js';

const b = (s: string) => Buffer.from(s);
const as = (token: string | undefined): Caller => ({ token, commonName: () => undefined });
const anon = as(undefined);

test('a member applies auth through raft: tokens, permissions, old revisions, restart', async () => {
  const root = mkdtempSync(join(tmpdir(), 'etcd-auth-'));
  const [port] = await freePorts(1);
  const cfg = {
    name: 'n1',
    dataDir: join(root, 'n1.etcd'),
    listenPeerUrls: [`http://127.0.0.1:${port}`],
    initialAdvertisePeerUrls: [`http://127.0.0.1:${port}`],
    heartbeatIntervalMs: 20,
    electionTimeoutMs: 200,
    authTokenTtl: 60,
  };
  let e = await startEtcd(cfg, { logger: silentLogger(), serveClients: false });
  try {
    let s = e.server;
    await s.ready();
    await assert.rejects(s.authEnable({}, anon), (err) => isEtcdError(err, 'RootUserNotExist'));
    await s.userAdd({ name: 'root', password: 'rootpw' }, anon);
    await s.userGrantRole({ user: 'root', role: 'root' }, anon);
    await s.roleAdd({ name: 'app' }, anon);
    await s.roleGrantPermission(
      {
        name: 'app',
        perm: { permType: authpb.Permission.Type.READWRITE, key: b('app/'), rangeEnd: b('app0') },
      },
      anon,
    );
    await s.userAdd({ name: 'alice', password: 'alicepw' }, anon);
    await s.userGrantRole({ user: 'alice', role: 'app' }, anon);
    await assert.rejects(s.authenticate({ name: 'alice', password: 'alicepw' }), (err) =>
      isEtcdError(err, 'AuthNotEnabled'),
    );
    await s.authEnable({}, anon);

    await assert.rejects(s.authenticate({ name: 'alice', password: 'bad' }), (err) =>
      isEtcdError(err, 'AuthFailed'),
    );
    const { token } = await s.authenticate({ name: 'alice', password: 'alicepw' });
    assert.match(token ?? '', /^[A-Za-z]{16}\.\d+$/);
    const alice = as(token!);
    await s.put({ key: b('app/1'), value: b('v') }, alice);
    assert.equal((await s.range({ key: b('app/1') }, alice)).kvs?.length, 1);
    await assert.rejects(s.put({ key: b('x'), value: b('v') }, alice), (err) =>
      isEtcdError(err, 'PermissionDenied'),
    );
    await assert.rejects(s.put({ key: b('app/2'), value: b('v') }, anon), (err) =>
      isEtcdError(err, 'UserEmpty'),
    );
    await assert.rejects(s.range({ key: b('app/1') }, as('bogus.1')), (err) =>
      isEtcdError(err, 'InvalidAuthToken'),
    );
    await assert.rejects(s.userList({}, alice), (err) => isEtcdError(err, 'PermissionDenied'));
    await assert.rejects(
      s.txn(
        {
          compare: [{ key: b('secret'), target: 0, result: 0, version: 0 }],
          success: [{ requestPut: { key: b('app/3'), value: b('v') } }],
        },
        alice,
      ),
      (err) => isEtcdError(err, 'PermissionDenied'),
      'a compare on a key the user may not read',
    );

    // A proposal made at an older auth revision is refused at apply, where rights are checked.
    const old = { username: 'alice', revision: s.auth.revision };
    await s.roleAdd({ name: 'other' });
    const r = await s.propose({ put: { key: b('app/4'), value: b('v') } }, old);
    assert.ok(isEtcdError(r.err, 'AuthOldRevision'), String(r.err));
    assert.equal((await s.range({ key: b('app/4') })).kvs?.length ?? 0, 0);

    // The password never enters the log: only a hash does.
    await s.userChangePassword({ name: 'alice', password: 'newpw' });
    await assert.rejects(s.range({ key: b('app/1') }, alice), (err) => isEtcdError(err, 'InvalidAuthToken'));

    await e.close();
    const wal = join(cfg.dataDir, 'member', 'wal');
    for (const f of readdirSync(wal)) {
      const bytes = readFileSync(join(wal, f));
      for (const pw of ['rootpw', 'alicepw', 'newpw']) assert.equal(bytes.indexOf(pw), -1, `${pw} in ${f}`);
    }
    e = await startEtcd(cfg, { logger: silentLogger(), serveClients: false });
    s = e.server;
    await s.ready();
    assert.equal(s.auth.enabled, true);
    await assert.rejects(s.authenticate({ name: 'alice', password: 'alicepw' }), (err) =>
      isEtcdError(err, 'AuthFailed'),
    );
    const again = as((await s.authenticate({ name: 'alice', password: 'newpw' })).token!);
    assert.equal(Buffer.from((await s.range({ key: b('app/1') }, again)).kvs![0]!.value!).toString(), 'v');
    await s.authDisable({}, again).then(
      () => assert.fail('alice is not root'),
      (err) => assert.ok(isEtcdError(err, 'PermissionDenied')),
    );
    await s.authDisable({});
    await s.put({ key: b('open'), value: b('1') }, anon);
  } finally {
    await e.close();
    rmSync(root, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { authpb } from '@kv/api-proto';
import { Backend } from '@kv/mvcc';
import { isEtcdError } from '../errors.js';
import { hashPassword, verifyPassword } from './password.js';
import { RangePermissions } from './permissions.js';
import { AuthStore } from './store.js';
import { SimpleTokens } from './tokens.js';

const { READ, WRITE, READWRITE } = authpb.Permission.Type;
const b = (s: string) => Buffer.from(s);

async function open(path: string, tokens = new SimpleTokens(60_000)) {
  const backend = await Backend.open(path);
  const ns = {
    auth: backend.namespace('auth'),
    users: backend.namespace('authUsers'),
    roles: backend.namespace('authRoles'),
  };
  return { backend, store: new AuthStore(ns, tokens) };
}

function throwsEtcd(fn: () => void, name: Parameters<typeof isEtcdError>[1]) {
  assert.throws(fn, (e) => isEtcdError(e, name));
}

test('a permission with an empty key grants nothing, as in etcd 3.4', () => {
  const p = new RangePermissions([
    { permType: READWRITE, key: b(''), rangeEnd: Buffer.from([0]) },
    { permType: READWRITE, key: b(''), rangeEnd: b('') },
  ]);
  assert.equal(p.canWrite(b('a')), false);
  assert.equal(p.canRead(b('a'), Buffer.from([0])), false);
});

test('permissions: single keys, prefixes, from-key and ranges merged across roles', () => {
  const p = new RangePermissions([
    { permType: READWRITE, key: b('app/'), rangeEnd: b('app0') },
    { permType: READ, key: b('shared'), rangeEnd: b('') },
    { permType: WRITE, key: b('zz/'), rangeEnd: Buffer.from([0]) },
    // Two touching ranges from different roles cover their union.
    { permType: READ, key: b('m'), rangeEnd: b('o') },
    { permType: READ, key: b('o'), rangeEnd: b('q') },
  ]);
  assert.ok(p.canRead(b('app/x')) && p.canWrite(b('app/x')));
  assert.ok(p.canRead(b('app/'), b('app0')));
  assert.ok(!p.canRead(b('app'), b('app0')), 'a range starting before the prefix');
  assert.ok(p.canRead(b('shared')) && !p.canWrite(b('shared')));
  assert.ok(!p.canRead(b('shared2')));
  assert.ok(p.canWrite(b('zz/a'), Buffer.from([0])), 'from-key inside from-key');
  assert.ok(p.canWrite(b('zzz')) && !p.canRead(b('zzz')));
  assert.ok(p.canRead(b('m'), b('q')) && p.canRead(b('n'), b('p')));
  assert.ok(!p.canRead(b('m'), b('r')));
  assert.ok(!p.canRead(b('m'), Buffer.from([0])), 'from-key beyond a bounded range');
  assert.ok(!new RangePermissions([]).canRead(b('x')));
});

test('store: users, roles and their errors, persisted through the backend batch and reopened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-auth-'));
  try {
    let { backend, store } = await open(dir);
    assert.equal(store.enabled, false);
    assert.equal(store.revision, 1);
    throwsEtcd(() => store.enable(), 'RootUserNotExist');
    store.userAdd('root', await hashPassword('rootpw'), false);
    throwsEtcd(() => store.userAdd('root', 'x', false), 'UserAlreadyExist');
    throwsEtcd(() => store.userAdd('', 'x', false), 'UserEmpty');
    throwsEtcd(() => store.enable(), 'RootRoleNotExist');
    store.userGrantRole('root', 'root'); // the root role need not exist
    store.roleAdd('app');
    throwsEtcd(() => store.roleAdd('app'), 'RoleAlreadyExist');
    throwsEtcd(() => store.roleAdd(''), 'RoleEmpty');
    throwsEtcd(() => store.userGrantRole('nobody', 'app'), 'UserNotFound');
    throwsEtcd(() => store.userGrantRole('root', 'nope'), 'RoleNotFound');
    store.roleGrantPermission('app', { permType: READWRITE, key: b('app/'), rangeEnd: b('app0') });
    store.roleGrantPermission('app', { permType: READ, key: b('shared'), rangeEnd: b('') });
    store.roleGrantPermission('app', { permType: WRITE, key: b('shared'), rangeEnd: b('') }); // replaces
    throwsEtcd(() => store.roleGrantPermission('app', null), 'PermissionNotGiven');
    store.userAdd('alice', await hashPassword('alicepw'), false);
    store.userAdd('svc', '', true);
    store.userGrantRole('alice', 'app');
    throwsEtcd(() => store.userRevokeRole('alice', 'other'), 'RoleNotGranted');
    throwsEtcd(() => store.roleRevokePermission('app', b('x'), b('')), 'PermissionNotGranted');
    store.enable();
    throwsEtcd(() => store.userDelete('root'), 'InvalidAuthMgmt');
    throwsEtcd(() => store.roleDelete('root'), 'InvalidAuthMgmt');
    throwsEtcd(() => store.userRevokeRole('root', 'root'), 'InvalidAuthMgmt');
    const rev = store.revision;
    assert.ok(rev > 1);

    // Nothing is in RocksDB until the batch lands, as with every other applied change.
    backend.commit();
    await backend.close();
    ({ backend, store } = await open(dir));
    assert.equal(store.enabled, true);
    assert.equal(store.revision, rev);
    assert.deepEqual(store.userList(), ['alice', 'root', 'svc']);
    assert.deepEqual(store.roleList(), ['app']);
    assert.deepEqual(store.userGet('alice'), ['app']);
    assert.deepEqual(
      store
        .roleGet('app')
        .map((p) => [p.permType, Buffer.from(p.key).toString(), Buffer.from(p.rangeEnd).toString()]),
      [
        [READWRITE, 'app/', 'app0'],
        [WRITE, 'shared', ''],
      ],
    );
    const alice = { username: 'alice', revision: store.revision };
    store.isPutPermitted(alice, b('app/1'));
    store.isRangePermitted(alice, b('app/'), b('app0'));
    throwsEtcd(() => store.isRangePermitted(alice, b('shared')), 'PermissionDenied');
    throwsEtcd(() => store.isPutPermitted(alice, b('other')), 'PermissionDenied');
    throwsEtcd(() => store.isPutPermitted(null, b('app/1')), 'UserEmpty');
    throwsEtcd(() => store.isAdminPermitted(alice), 'PermissionDenied');
    throwsEtcd(() => store.isAdminPermitted({ username: 'ghost', revision: 9 }), 'UserNotFound');
    store.isAdminPermitted({ username: 'root', revision: 1 });
    store.isPutPermitted({ username: 'root', revision: store.revision }, b('anything'));

    // A permission change makes requests checked at the older revision fail.
    store.roleRevokePermission('app', b('shared'), b(''));
    throwsEtcd(() => store.isPutPermitted(alice, b('app/1')), 'AuthOldRevision');

    // Passwords: checked off the event loop; a user without password cannot authenticate.
    assert.equal(await store.checkPassword('alice', 'alicepw', verifyPassword), store.revision);
    await assert.rejects(store.checkPassword('alice', 'nope', verifyPassword), (e) =>
      isEtcdError(e, 'AuthFailed'),
    );
    await assert.rejects(store.checkPassword('svc', '', verifyPassword), (e) => isEtcdError(e, 'AuthFailed'));
    await assert.rejects(store.checkPassword('ghost', 'x', verifyPassword), (e) =>
      isEtcdError(e, 'AuthFailed'),
    );

    // Tokens: assigned at apply, ended by a password change, all gone when auth is disabled.
    const t1 = store.authenticate('alice', 'abcdefghijklmnop', 42);
    assert.equal(t1, 'abcdefghijklmnop.42');
    assert.equal(SimpleTokens.index(t1), 42);
    assert.equal(store.tokenUser(t1), 'alice');
    store.userChangePassword('alice', await hashPassword('new'));
    assert.equal(store.tokenUser(t1), undefined);
    const t2 = store.authenticate('root', SimpleTokens.prefix(), 43);
    assert.equal(store.tokenUser(t2), 'root');
    store.roleDelete('app');
    assert.deepEqual(store.userGet('alice'), [], 'deleting a role takes it from its users');
    store.disable();
    assert.equal(store.tokenUser(t2), undefined);
    throwsEtcd(() => store.authenticate('root', 'x', 44), 'AuthNotEnabled');
    store.isPutPermitted(null, b('x')); // auth off: everything goes
    backend.commit();
    await backend.close();
    ({ backend, store } = await open(dir));
    assert.equal(store.enabled, false);
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a grant updates only the first permission with its key, as etcd's binary search finds it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-auth-'));
  const { backend, store } = await open(join(dir, 'db'));
  try {
    store.roleAdd('r');
    store.roleGrantPermission('r', { permType: READ, key: b('foo'), rangeEnd: b('foo0') });
    store.roleGrantPermission('r', { permType: READ, key: b('foo'), rangeEnd: b('\0') });
    // the first "foo" entry has range end "foo0", so this one is added again rather than updated
    store.roleGrantPermission('r', { permType: WRITE, key: b('foo'), rangeEnd: b('\0') });
    // the first one matches exactly: updated in place
    store.roleGrantPermission('r', { permType: READWRITE, key: b('foo'), rangeEnd: b('foo0') });
    const perms = store.roleGet('r').map((p) => [p.permType, Buffer.from(p.rangeEnd).toString('latin1')]);
    assert.deepEqual(perms, [
      [READWRITE, 'foo0'],
      [READ, '\0'],
      [WRITE, '\0'],
    ]);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokens expire after their TTL without use; use restarts the clock', () => {
  let now = 0;
  const t = new SimpleTokens(1000, () => now);
  const tok = t.assign('abc', 7, 'u');
  now = 900;
  assert.equal(t.user(tok), 'u');
  now = 1800;
  assert.equal(t.user(tok), 'u');
  now = 2900;
  assert.equal(t.user(tok), undefined);
  assert.equal(SimpleTokens.index('no-dot'), -1);
  assert.equal(SimpleTokens.index('abc.12x'), -1);
  assert.match(SimpleTokens.prefix(), /^[A-Za-z]{16}$/);
});

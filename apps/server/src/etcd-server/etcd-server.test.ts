import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toBigInt, toNumber } from '@kv/api-proto';
import { startEtcd } from '../embed.js';
import { freePorts } from '../test-ports.js';
import { silentLogger } from './logger.js';

const b = (s: string) => Buffer.from(s);

async function single(dir: string, port: number) {
  return startEtcd(
    {
      name: 'n1',
      dataDir: dir,
      listenPeerUrls: [`http://127.0.0.1:${port}`],
      initialAdvertisePeerUrls: [`http://127.0.0.1:${port}`],
      heartbeatIntervalMs: 20,
      electionTimeoutMs: 200,
    },
    { logger: silentLogger(), serveClients: false },
  ).then(async (e) => {
    await e.server.ready();
    return e;
  });
}

test('single member: put, get, txn, delete, lease, restart keeps everything', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'etcd-core-')), 'n1.etcd');
  const [port] = await freePorts(1);
  let e = await single(dir, port!);
  const s = e.server;
  const put = await s.put({ key: b('greeting'), value: b('Hello, etcd') });
  assert.equal(toNumber(put.header!.revision), 2);
  const got = await s.range({ key: b('greeting') });
  assert.equal(Buffer.from(got.kvs![0]!.value!).toString(), 'Hello, etcd');
  assert.equal(toNumber(got.count), 1);

  const txn = await s.txn({
    compare: [{ key: b('greeting'), target: 3, result: 0, value: b('Hello, etcd') }],
    success: [{ requestPut: { key: b('k2'), value: b('v2') } }],
    failure: [],
  });
  assert.equal(txn.succeeded, true);
  await assert.rejects(
    s.txn({
      success: [
        { requestPut: { key: b('a'), value: b('1') } },
        { requestPut: { key: b('a'), value: b('2') } },
      ],
    }),
    /etcdserver: duplicate key given in txn request/,
  );
  await assert.rejects(
    s.put({ key: b('x'), value: b('y'), lease: 12345 }),
    /etcdserver: requested lease not found/,
  );

  const grant = await s.leaseGrant({ TTL: 300 });
  const leaseId = toBigInt(grant.ID);
  assert.ok(leaseId > 0n);
  await s.put({ key: b('sample'), value: b('value'), lease: grant.ID });
  assert.equal(await s.renewLease(leaseId), 300);
  const ttl = await s.leaseTimeToLive({ ID: grant.ID, keys: true });
  assert.ok(toNumber(ttl.TTL) >= 299);
  assert.deepEqual(
    ttl.keys!.map((k) => Buffer.from(k).toString()),
    ['sample'],
  );

  const del = await s.deleteRange({ key: b('greeting') });
  assert.equal(toNumber(del.deleted), 1);
  const rev = e.server.kv.rev;
  await e.close();

  e = await single(dir, port!);
  const s2 = e.server;
  assert.equal(s2.kv.rev, rev);
  assert.equal(toNumber((await s2.range({ key: b('greeting') })).count), 0);
  assert.equal(Buffer.from((await s2.range({ key: b('k2') })).kvs![0]!.value!).toString(), 'v2');
  assert.ok(s2.lessor.has(leaseId));
  await s2.leaseRevoke({ ID: grant.ID });
  assert.equal(toNumber((await s2.range({ key: b('sample') })).count), 0);
  await assert.rejects(s2.leaseRevoke({ ID: grant.ID }), /etcdserver: requested lease not found/);
  await e.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('single member: a short lease expires and its keys go', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'etcd-core-')), 'n1.etcd');
  const [port] = await freePorts(1);
  const e = await single(dir, port!);
  const s = e.server;
  const g = await s.leaseGrant({ TTL: 1 });
  await s.put({ key: b('tmp'), value: b('x'), lease: g.ID });
  const end = Date.now() + 5000;
  while (Date.now() < end && toNumber((await s.range({ key: b('tmp') })).count) > 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(toNumber((await s.range({ key: b('tmp') })).count), 0);
  await e.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('NOSPACE as etcd 3.4: what the alarm blocks, compaction alone does not help, defragment does', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'etcd-core-')), 'n1.etcd');
  const [port] = await freePorts(1);
  const quota = 256 * 1024;
  const e = await startEtcd(
    {
      name: 'n1',
      dataDir: dir,
      listenPeerUrls: [`http://127.0.0.1:${port}`],
      initialAdvertisePeerUrls: [`http://127.0.0.1:${port}`],
      heartbeatIntervalMs: 20,
      electionTimeoutMs: 200,
      quotaBackendBytes: quota,
    },
    { logger: silentLogger(), serveClients: false },
  );
  const s = e.server;
  try {
    await s.ready();
    const noSpace = /etcdserver: mvcc: database space exceeded/;
    const value = Buffer.alloc(8 * 1024, 7);
    let puts = 0;
    for (; puts < 200; puts++) {
      try {
        await s.put({ key: b(`k${puts % 4}`), value });
      } catch (err) {
        assert.match(String(err), noSpace);
        break;
      }
    }
    assert.ok(puts > 10 && puts < 200, `${puts} puts of 8 KiB in ${quota} bytes`);
    const full = await s.status();
    assert.deepEqual(full.errors, [`memberID:${s.id} alarm:NOSPACE `]);
    // blocked: puts, txns with puts, lease grants, also when they got past the front check (the applier)
    await assert.rejects(s.put({ key: b('x'), value: b('1') }), noSpace);
    await assert.rejects(s.txn({ success: [{ requestPut: { key: b('x'), value: b('1') } }] }), noSpace);
    await assert.rejects(s.leaseGrant({ TTL: 60 }), noSpace);
    const internal = s as unknown as { proposeOk(r: object): Promise<unknown> };
    await assert.rejects(internal.proposeOk({ put: { key: b('x'), value: b('1') } }), noSpace);
    // allowed: deletes, delete-only txns, reads, compaction
    assert.equal(toNumber((await s.deleteRange({ key: b('k3') })).deleted), 1);
    assert.equal((await s.txn({ success: [{ requestDeleteRange: { key: b('nothing') } }] })).succeeded, true);
    assert.equal((await s.range({ key: b('k0') })).kvs?.length, 1);
    const rev = toNumber((await s.range({ key: b('k0') })).header!.revision);
    await s.compact({ revision: rev, physical: true });
    const compacted = await s.status();
    assert.ok(toNumber(compacted.dbSizeInUse) < toNumber(compacted.dbSize) / 2, JSON.stringify(compacted));
    // disarmed without a defragment, the next put finds the size unchanged and raises the alarm again
    const disarm = { action: 2, memberID: 0, alarm: 0 }; // DEACTIVATE of NONE for member 0: every alarm
    await s.alarm(disarm);
    await assert.rejects(s.put({ key: b('x'), value: b('1') }), noSpace);
    assert.equal((await s.alarm({ action: 0 })).alarms?.length, 1);
    await s.defragment();
    const defragmented = await s.status();
    assert.ok(
      toNumber(defragmented.dbSize) < toNumber(full.dbSize) / 4,
      `${defragmented.dbSize} after, ${full.dbSize} before`,
    );
    assert.equal((await s.alarm({ action: 0 })).alarms?.length, 1, 'defragment does not disarm');
    await s.alarm(disarm);
    await s.put({ key: b('x'), value: b('1') });
    assert.equal((await s.leaseGrant({ TTL: 60 })).TTL !== undefined, true);
    assert.deepEqual((await s.status()).errors, []);
    assert.equal(Buffer.from((await s.range({ key: b('k0') })).kvs![0]!.value!).length, value.length);
  } finally {
    await e.close();
    rmSync(join(dir, '..'), { recursive: true });
  }
});

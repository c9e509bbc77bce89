import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toNumber, toUint64 } from '@kv/api-proto';
import { TestClient } from './test-client.js';
import { freePorts } from './test-ports.js';
import { type MemberProcess, memberArgs, spawnEtcd } from './test-process.js';

const TIMING = ['--heartbeat-interval', '50', '--election-timeout', '500'];

test('MemberAdd, then the new member joins with --initial-cluster-state existing; MemberRemove stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-join-'));
  const ports = await freePorts(6);
  const initial = ['n1', 'n2'].map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const members: MemberProcess[] = [0, 1].map((i) =>
    spawnEtcd(
      [...memberArgs(`n${i + 1}`, ports[2 * i]!, ports[2 * i + 1]!, initial), ...TIMING],
      ports[2 * i]!,
      dir,
    ),
  );
  const c1 = new TestClient(`127.0.0.1:${ports[0]}`);
  let c3: TestClient | undefined;
  try {
    await Promise.all(members.map((m) => m.waitLog('published local member', 30_000)));
    await c1.put('before', 'join');
    const peer3 = `http://127.0.0.1:${ports[5]}`;
    const added = await c1.memberAdd([peer3]);
    const newId = toUint64(added.member!.ID);
    assert.equal(added.members.length, 3);
    const joinCluster = `${initial},n3=${peer3}`;
    const m3 = spawnEtcd(
      [
        ...memberArgs('n3', ports[4]!, ports[5]!, joinCluster),
        '--initial-cluster-state',
        'existing',
        ...TIMING,
      ],
      ports[4]!,
      dir,
    );
    members.push(m3);
    await m3.waitLog('published local member', 30_000);
    c3 = new TestClient(`127.0.0.1:${ports[4]}`);
    assert.equal(toUint64((await c3.status()).header!.memberId), newId);
    const list = await c1.memberList();
    assert.deepEqual(list.members.map((m) => m.name).sort(), ['n1', 'n2', 'n3']);
    const got = await c3.range('before', undefined, false);
    assert.equal(Buffer.from(got.kvs[0]!.value!).toString(), 'join');
    await c3.put('via', 'n3');
    assert.equal(toNumber((await c1.range('via', undefined, false)).count), 1);

    await c1.memberRemove(newId);
    assert.equal((await c1.memberList()).members.length, 2);
    const exit = await Promise.race([
      m3.exited,
      new Promise((r) => setTimeout(() => r('still running'), 20_000)),
    ]);
    assert.equal(exit, 0, 'a removed member stops, exiting 0 as etcd 3.4 does');
  } finally {
    c1.close();
    c3?.close();
    for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGTERM');
    await Promise.all(members.map((m) => m.exited));
    rmSync(dir, { recursive: true, force: true });
  }
});

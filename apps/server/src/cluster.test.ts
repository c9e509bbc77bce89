import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toNumber, toUint64 } from '@kv/api-proto';
import { TestClient } from './test-client.js';
import { freePorts } from './test-ports.js';
import { type MemberProcess, memberArgs, spawnEtcd } from './test-process.js';

const ETCDCTL = '/usr/bin/etcdctl';
const QUICKSTART = '/work/shared/checks/quickstart.sh';
const HEARTBEAT = 50;
const ELECTION = 500;

async function leaderOf(clients: TestClient[]): Promise<bigint> {
  for (const c of clients) {
    try {
      const s = await c.status(1000);
      const lead = toUint64(s.leader);
      if (lead !== 0n) return lead;
    } catch {}
  }
  return 0n;
}

test('3 members: kill -9 the leader, a new one is elected, writes continue, the old leader catches up by snapshot; quick start through a follower', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-c3-'));
  const ports = await freePorts(6);
  const names = ['n1', 'n2', 'n3'];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const extra = [
    '--heartbeat-interval',
    String(HEARTBEAT),
    '--election-timeout',
    String(ELECTION),
    '--snapshot-count',
    '30',
    '--experimental-snapshot-catchup-entries',
    '5',
  ];
  const start = (i: number) =>
    spawnEtcd(
      [...memberArgs(names[i]!, ports[2 * i]!, ports[2 * i + 1]!, initial), ...extra],
      ports[2 * i]!,
      dir,
    );
  const members: MemberProcess[] = [0, 1, 2].map(start);
  const clients = [0, 1, 2].map((i) => new TestClient(`127.0.0.1:${ports[2 * i]}`));
  try {
    await Promise.all(members.map((m) => m.waitLog('published local member', 30_000)));
    const ids = await Promise.all(clients.map(async (c) => toUint64((await c.status()).header!.memberId)));
    const lead = await leaderOf(clients);
    const li = ids.indexOf(lead);
    assert.ok(li >= 0, 'a leader is known');

    const acked = new Map<string, string>();
    const follower = clients[(li + 1) % 3]!;
    for (let i = 0; i < 20; i++) {
      await follower.put(`k${i}`, `v${i}`);
      acked.set(`k${i}`, `v${i}`);
    }

    members[li]!.child.kill('SIGKILL');
    await members[li]!.exited;
    const killedAt = Date.now();
    const survivors = clients.filter((_, i) => i !== li);
    let newLead = 0n;
    while (Date.now() - killedAt < 15_000) {
      newLead = await leaderOf(survivors);
      if (newLead !== 0n && newLead !== lead) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const electionMs = Date.now() - killedAt;
    assert.ok(newLead !== 0n && newLead !== lead, 'a new leader was elected');
    console.log(`# new leader after ${electionMs} ms (election timeout ${ELECTION} ms)`);

    for (let i = 20; i < 120; i++) {
      await survivors[i % 2]!.put(`k${i}`, `v${i}`, 10_000);
      acked.set(`k${i}`, `v${i}`);
    }

    members[li] = start(li);
    await members[li]!.waitLog('raft leader changed', 30_000);
    const back = clients[li]!;
    const end = Date.now() + 30_000;
    let count = 0;
    while (Date.now() < end) {
      try {
        count = toNumber((await back.range('k', 'l', true)).count);
      } catch {}
      if (count === acked.size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(count, acked.size, 'the restarted member has every acknowledged write');
    assert.ok(
      members[li]!.log.some((l) => l.includes('installing snapshot')),
      'it caught up through a snapshot',
    );
    const all = await back.range('k', 'l', false);
    if (existsSync(ETCDCTL) && existsSync(QUICKSTART)) {
      // The user's quick start with Debian's etcdctl, through a member that is not the leader.
      const r = spawnSync('bash', [QUICKSTART, `127.0.0.1:${ports[2 * li]}`, ETCDCTL], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    for (const kv of all.kvs)
      assert.equal(Buffer.from(kv.value!).toString(), acked.get(Buffer.from(kv.key!).toString()));
  } finally {
    for (const c of clients) c.close();
    for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGTERM');
    await Promise.all(members.map((m) => m.exited));
    rmSync(dir, { recursive: true, force: true });
  }
});

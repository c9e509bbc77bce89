import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { etcdserverpb, toBigInt, toLong, toNumber } from '@kv/api-proto';
import { type Etcd, startEtcd } from '../embed.js';
import { freePorts } from '../test-ports.js';
import { silentLogger } from './logger.js';

const b = (s: string) => Buffer.from(s);

test('3 members in one process: follower reads and writes, forwarded keep-alive and promote, MoveLeader', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-3in1-'));
  const ports = await freePorts(3);
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p}`).join(',');
  const members: Etcd[] = await Promise.all(
    ports.map((p, i) =>
      startEtcd(
        {
          name: `m${i}`,
          dataDir: join(dir, `m${i}`),
          listenPeerUrls: [`http://127.0.0.1:${p}`],
          initialAdvertisePeerUrls: [`http://127.0.0.1:${p}`],
          initialCluster: initial,
          heartbeatIntervalMs: 20,
          electionTimeoutMs: 200,
        },
        { logger: silentLogger(), serveClients: false },
      ),
    ),
  );
  try {
    await Promise.all(members.map((m) => m.server.ready()));
    const leader = members.find((m) => m.server.isLeader)!;
    const followers = members.filter((m) => m !== leader);
    const f = followers[0]!.server;

    // A write through a follower goes through raft; a linearizable read on the other follower sees it.
    const put = await f.put({ key: b('k'), value: b('v1') });
    const r = await followers[1]!.server.range(etcdserverpb.RangeRequest.create({ key: b('k') }));
    assert.equal(Buffer.from(r.kvs![0]!.value!).toString(), 'v1');
    assert.ok(toNumber(r.header!.revision) >= toNumber(put.header!.revision));

    // Lease keep-alive and time-to-live asked of a follower are answered by the leader.
    const g = await f.leaseGrant(etcdserverpb.LeaseGrantRequest.create({ TTL: 60 }));
    const ka = await f.leaseRenew(etcdserverpb.LeaseKeepAliveRequest.create({ ID: g.ID as any }));
    assert.equal(toNumber(ka.TTL), 60);
    assert.equal(toBigInt(ka.ID), toBigInt(g.ID));
    const ttl = await f.leaseTimeToLive(etcdserverpb.LeaseTimeToLiveRequest.create({ ID: g.ID as any }));
    assert.equal(toNumber(ttl.grantedTTL), 60);
    await assert.rejects(
      f.leaseRenew(etcdserverpb.LeaseKeepAliveRequest.create({ ID: toLong(12345n) })),
      /etcdserver: requested lease not found/,
    );

    // Promoting a learner that never caught up is refused whichever member is asked: a follower lets the
    // leader judge, since only the leader tracks the learner's progress.
    const added = await f.memberAdd(
      etcdserverpb.MemberAddRequest.create({ peerURLs: ['http://127.0.0.1:1'], isLearner: true }),
    );
    const learnerId = added.member!.ID as any;
    for (const m of [f, leader.server]) {
      await assert.rejects(
        m.memberPromote(etcdserverpb.MemberPromoteRequest.create({ ID: learnerId })),
        /etcdserver: can only promote a learner member which is in sync with leader/,
      );
    }
    await f.memberRemove(etcdserverpb.MemberRemoveRequest.create({ ID: learnerId }));

    // MoveLeader hands leadership to the chosen member.
    const target = followers[1]!.server;
    await leader.server.moveLeader(
      etcdserverpb.MoveLeaderRequest.create({ targetID: toLong(target.id, true) }),
    );
    const end = Date.now() + 5000;
    while (!target.isLeader && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    assert.ok(target.isLeader);
    await assert.rejects(
      f.moveLeader(etcdserverpb.MoveLeaderRequest.create({ targetID: toLong(f.id, true) })),
      /etcdserver: not leader/,
    );
  } finally {
    await Promise.all(members.map((m) => m.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});

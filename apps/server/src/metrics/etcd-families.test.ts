import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bucketBounds, type Family, labelNames, sampleSum } from './exposition.js';
import {
  type Cluster,
  DEBIAN_ETCD,
  DEBIAN_ETCDCTL,
  leaderIndex,
  scrape,
  scrapeUntil,
  startCluster,
  workload,
} from './test-cluster.js';

// Debian's etcd 3.4 and ours, 3 members each, the same workload through Debian's etcdctl, then a scrape of
// each leader after one follower was killed (so the peer families have their disconnect series too).
// Every family etcd exposes is either ours with the same type, label names and buckets, or listed here.

/** etcd families we do not expose, each with why. */
const NOT_EXPOSED: [RegExp, string][] = [
  [/^go_/, 'Go runtime internals (goroutines, Go GC, memstats): no meaning in Node; nodejs_* stand in'],
  [/^etcd_debugging_store_/, 'the v2 store, which this server does not implement (v3 API only)'],
  [/^etcd_grpc_proxy_/, 'the gRPC proxy (etcd grpc-proxy) is not part of this server'],
  [
    /^etcd_debugging_disk_backend_commit_(rebalance|spill|write)_duration_seconds$/,
    'phases of a bbolt commit; the backend is RocksDB, whose commit is one WriteBatch (see etcd_disk_backend_commit_duration_seconds)',
  ],
  [
    /^etcd_mvcc_db_open_read_transactions$/,
    'bbolt read transactions; reads here hold no backend transaction open',
  ],
  [/^etcd_server_go_version$/, 'the Go version etcd was built with'],
  [
    /^etcd_snap_(db_fsync_duration_seconds|db_save_total_duration_seconds|fsync_duration_seconds)$/,
    "fsyncs of etcd's .snap/.snap.db files; a received backend is streamed into RocksDB and raft snapshot files carry no data",
  ],
];

const ours = new Map<string, Family>();
const etcd = new Map<string, Family>();
/** Each leader's scrape before the workload: the clusters' start-up differs, so values compare as deltas. */
const oursBefore = new Map<string, Family>();
const etcdBefore = new Map<string, Family>();
const compactedAt = new Map<Map<string, Family>, number>();
const clusters: Cluster[] = [];
const dir = mkdtempSync(join(tmpdir(), 'metrics-families-'));
const skip = !existsSync(DEBIAN_ETCD) || !existsSync(DEBIAN_ETCDCTL);

async function scrapeAfterWorkload(
  kind: 'etcd' | 'ours',
  into: Map<string, Family>,
  before: Map<string, Family>,
): Promise<void> {
  const d = join(dir, kind);
  mkdirSync(d);
  const c = await startCluster(kind, d);
  clusters.push(c);
  const li = await leaderIndex(c);
  const port = c.clientPorts[li]!;
  for (const [k, v] of await scrape(port)) before.set(k, v);
  compactedAt.set(into, (await workload(port, d)).compacted);
  // etcd probes peers every few seconds; ours times the leader's heartbeats
  await scrapeUntil(
    port,
    (m) => (m.get('etcd_network_peer_round_trip_time_seconds')?.samples.length ?? 0) > 0,
  );
  c.children[(li + 1) % 3]!.kill('SIGKILL');
  const m = await scrapeUntil(
    port,
    (s) => (s.get('etcd_network_disconnected_peers_total')?.samples.length ?? 0) > 0,
    10_000,
  );
  for (const [k, v] of m) into.set(k, v);
}

const excluded = (name: string) => NOT_EXPOSED.find(([re]) => re.test(name));

describe('metric families against etcd 3.4', {
  skip: skip && 'needs /usr/bin/etcd and /usr/bin/etcdctl',
}, () => {
  before(async () => {
    // both settle before a failure is reported, so after() finds every cluster to stop
    const r = await Promise.allSettled([
      scrapeAfterWorkload('etcd', etcd, etcdBefore),
      scrapeAfterWorkload('ours', ours, oursBefore),
    ]);
    for (const x of r) if (x.status === 'rejected') throw x.reason;
  });
  after(() => {
    for (const c of clusters) c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every etcd family is ours with the same type, help, label names and buckets, or listed with a reason', () => {
    const problems: string[] = [];
    for (const [name, f] of etcd) {
      if (excluded(name)) continue;
      const o = ours.get(name);
      if (!o) {
        problems.push(`${name}: missing`);
        continue;
      }
      if (o.type !== f.type) problems.push(`${name}: type ${o.type}, etcd ${f.type}`);
      if (o.help !== f.help)
        problems.push(`${name}: help ${JSON.stringify(o.help)}, etcd ${JSON.stringify(f.help)}`);
      if (labelNames(f).join() !== labelNames(o).join())
        problems.push(`${name}: labels [${labelNames(o)}], etcd [${labelNames(f)}]`);
      if (f.type === 'histogram') {
        const a = bucketBounds(o);
        const b = bucketBounds(f);
        const same =
          a.length === b.length && a.every((x, i) => x === b[i] || Math.abs(x - b[i]!) <= 1e-9 * b[i]!);
        if (!same) problems.push(`${name}: buckets [${a}], etcd [${b}]`);
      }
    }
    assert.deepEqual(problems, []);
    // the comparison covered most of etcd's families (not an empty scrape)
    assert.ok([...etcd.keys()].filter((n) => !excluded(n)).length > 80);
  });

  it('the families listed as not exposed are etcd families that we do not serve', () => {
    for (const [re, reason] of NOT_EXPOSED) {
      assert.ok(
        [...etcd.keys()].some((n) => re.test(n)),
        `${re} (${reason}) matches no etcd family`,
      );
      const served = [...ours.keys()].filter((n) => re.test(n));
      assert.deepEqual(served, [], `${re} is listed as not exposed`);
    }
  });

  it("every family of ours is one of etcd's, or one of prom-client's own Node process metrics", () => {
    // etcd families with labels show only once a series was touched: which ones depends on this run's
    // timing (a send to the killed follower may or may not fail before the scrape)
    const onUse = /^etcd_network_peer_(sent|received)_failures_total$/;
    const extra = [...ours.keys()].filter((n) => !etcd.has(n) && !onUse.test(n));
    assert.deepEqual(
      extra.filter(
        (n) => !/^nodejs_|^process_(cpu_user_seconds_total|cpu_system_seconds_total|heap_bytes)$/.test(n),
      ),
      [],
    );
  });

  it('serves the same gRPC methods, each with every status code, as etcd', () => {
    const methods = (m: Map<string, Family>) =>
      m
        .get('grpc_server_started_total')!
        .samples.map((s) => `${s.labels.grpc_service}/${s.labels.grpc_method} ${s.labels.grpc_type}`)
        .sort();
    const a = methods(ours);
    const b = methods(etcd);
    assert.deepEqual(
      { onlyOurs: a.filter((x) => !b.includes(x)), onlyEtcd: b.filter((x) => !a.includes(x)) },
      {
        // the API level this server implements is 3.5's (see version.ts): two methods 3.4 lacks
        onlyOurs: ['etcdserverpb.Auth/AuthStatus unary', 'etcdserverpb.Maintenance/Downgrade unary'],
        // gRPC's health service is not served here (GET /health is)
        onlyEtcd: ['grpc.health.v1.Health/Check unary', 'grpc.health.v1.Health/Watch server_stream'],
      },
    );
    const codes = (m: Map<string, Family>) =>
      new Set(m.get('grpc_server_handled_total')!.samples.map((s) => s.labels.grpc_code)).size;
    assert.equal(codes(ours), 17);
    assert.equal(codes(etcd), 17);
  });

  it('counts the same workload as etcd does', () => {
    const delta = (
      after: Map<string, Family>,
      family: string,
      name: string,
      match: Record<string, string> = {},
    ) =>
      sampleSum(after.get(family), name, match) -
      sampleSum((after === ours ? oursBefore : etcdBefore).get(family), name, match);
    const rpc = (
      m: Map<string, Family>,
      family: string,
      method: string,
      extra: Record<string, string> = {},
    ) => delta(m, family, family, { grpc_method: method, ...extra });
    for (const method of [
      'Put',
      'Range',
      'DeleteRange',
      'Txn',
      'Compact',
      'LeaseGrant',
      'LeaseRevoke',
      'HashKV',
    ]) {
      for (const family of [
        'grpc_server_started_total',
        'grpc_server_msg_received_total',
        'grpc_server_msg_sent_total',
      ])
        assert.equal(rpc(ours, family, method), rpc(etcd, family, method), `${family} ${method}`);
      assert.equal(
        rpc(ours, 'grpc_server_handled_total', method, { grpc_code: 'OK' }),
        rpc(etcd, 'grpc_server_handled_total', method, { grpc_code: 'OK' }),
        `handled ${method}`,
      );
    }
    for (const method of ['Watch', 'LeaseKeepAlive', 'Snapshot'])
      assert.equal(
        rpc(ours, 'grpc_server_started_total', method),
        rpc(etcd, 'grpc_server_started_total', method),
        `started ${method}`,
      );
    const value = (m: Map<string, Family>, name: string) => delta(m, name.replace(/_sum$/, ''), name);
    for (const name of [
      'etcd_mvcc_put_total',
      'etcd_mvcc_delete_total',
      'etcd_mvcc_txn_total',
      'etcd_debugging_mvcc_keys_total',
      'etcd_debugging_mvcc_current_revision',
      'etcd_debugging_lease_granted_total',
      'etcd_debugging_lease_revoked_total',
      'etcd_debugging_lease_renewed_total',
      'etcd_debugging_lease_ttl_total_sum',
      'etcd_server_health_success',
      'etcd_server_is_leader',
      'etcd_server_has_leader',
    ])
      assert.equal(value(ours, name), value(etcd, name), name);
    for (const m of [ours, etcd])
      assert.equal(
        sampleSum(m.get('etcd_debugging_mvcc_compact_revision'), 'etcd_debugging_mvcc_compact_revision'),
        compactedAt.get(m),
      );
    // measured, not just declared: fsyncs, commits, snapshot and hash timings, peer bytes and round trips
    for (const name of [
      'etcd_disk_wal_fsync_duration_seconds_count',
      'etcd_disk_backend_commit_duration_seconds_count',
      'etcd_disk_backend_snapshot_duration_seconds_count',
      'etcd_mvcc_hash_rev_duration_seconds_count',
      'etcd_network_peer_round_trip_time_seconds_count',
      'etcd_network_peer_sent_bytes_total',
      'etcd_network_peer_received_bytes_total',
      'etcd_network_client_grpc_received_bytes_total',
      'etcd_network_client_grpc_sent_bytes_total',
      'etcd_disk_wal_write_bytes_total',
      'etcd_network_disconnected_peers_total',
      'etcd_server_client_requests_total',
      'grpc_server_handling_seconds_count',
    ]) {
      const family = ours.get(name) ?? ours.get(name.replace(/_(count|sum)$/, ''));
      assert.ok(sampleSum(family, name) > 0, `${name} > 0`);
    }
  });
});

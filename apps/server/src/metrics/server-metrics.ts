import type { LessorObserver } from '@kv/lease';
import type { CompactionObserver, WatchableStore } from '@kv/mvcc';
import * as prom from 'prom-client';
import { registerProcessMetrics } from './process-metrics';

// etcd 3.4's member metrics (etcd_server_*, etcd_disk_*, etcd_mvcc_*, etcd_debugging_*, etcd_network_peer_*),
// same names, types, labels and buckets, in prom-client's default registry (what GET /metrics serves).
// One set per process: the gauges read whichever member registered last (a process normally runs one).
// Counters on request paths are plain numbers in the store and the lessor, read when scraped.

/** The member as the metrics read it at scrape time. */
export interface MetricsSource {
  memberId(): bigint;
  hasLeader(): boolean;
  isLeader(): boolean;
  isLearner(): boolean;
  committed(): number;
  applied(): number;
  pending(): number;
  dbSize(): number;
  dbSizeInUse(): number;
  quotaBytes(): number;
  authRevision(): number;
  /** The mvcc store (undefined while it is being replaced or after close). */
  store(): WatchableStore | undefined;
  /** Outbound peer streams and the bytes that went each way. */
  peers(): PeerTraffic;
  /** ReadIndex rounds that timed out, and those whose reads failed. */
  readIndexes(): { slow: number; failed: number };
}

export interface PeerTraffic {
  peers: { id: bigint; active: boolean; sentBytes: number; disconnects: number; dropped: number }[];
  /** Bytes received per sending member (0: before the sender said who it is). */
  received: ReadonlyMap<bigint, number>;
}

/** exponential buckets as Go's prometheus.ExponentialBuckets: start, start*factor, ... (count of them). */
function expBuckets(start: number, factor: number, count: number): number[] {
  return prom.exponentialBuckets(start, factor, count);
}

const hex = (id: bigint) => id.toString(16);

let source: MetricsSource | undefined;

function gauge(name: string, help: string, read: (s: MetricsSource) => number): prom.Gauge {
  return new prom.Gauge({
    name,
    help,
    collect() {
      if (source) this.set(read(source));
    },
  });
}

/** A counter whose value lives elsewhere as a plain number (cheap to bump on hot paths). */
function counterOf(name: string, help: string, read: (s: MetricsSource) => number): prom.Counter {
  return new prom.Counter({
    name,
    help,
    collect() {
      if (!source) return;
      this.reset();
      this.inc(read(source));
    },
  });
}

function info(name: string, help: string, label: string, value: (s: MetricsSource) => string): prom.Gauge {
  return new prom.Gauge({
    name,
    help,
    labelNames: [label],
    collect() {
      if (!source) return;
      this.reset();
      this.set({ [label]: value(source) }, 1);
    },
  });
}

const storeCount =
  (f: (kv: WatchableStore) => number) =>
  (s: MetricsSource): number => {
    const kv = s.store();
    return kv === undefined ? 0 : f(kv);
  };

function create(versions: { server: string; cluster: string }) {
  registerProcessMetrics();
  // server
  gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (s) =>
    s.hasLeader() ? 1 : 0,
  );
  gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', (s) =>
    s.isLeader() ? 1 : 0,
  );
  gauge('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.', (s) =>
    s.isLearner() ? 1 : 0,
  );
  gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', (s) =>
    s.committed(),
  );
  gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', (s) =>
    s.applied(),
  );
  gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', (s) =>
    s.pending(),
  );
  gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.', (s) =>
    s.quotaBytes(),
  );
  info(
    'etcd_server_id',
    "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
    'server_id',
    (s) => hex(s.memberId()),
  );
  info(
    'etcd_server_version',
    "Which version is running. 1 for 'server_version' label with current version.",
    'server_version',
    () => versions.server,
  );
  info(
    'etcd_cluster_version',
    "Which version is running. 1 for 'cluster_version' label with current cluster version",
    'cluster_version',
    () => versions.cluster,
  );
  counterOf(
    'etcd_server_slow_read_indexes_total',
    "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
    (s) => s.readIndexes().slow,
  );
  counterOf(
    'etcd_server_read_indexes_failed_total',
    'The total number of failed read indexes seen.',
    (s) => s.readIndexes().failed,
  );
  gauge('etcd_debugging_auth_revision', 'The current revision of auth store.', (s) => s.authRevision());

  // mvcc
  gauge(
    'etcd_mvcc_db_total_size_in_bytes',
    'Total size of the underlying database physically allocated in bytes.',
    (s) => s.dbSize(),
  );
  gauge(
    'etcd_debugging_mvcc_db_total_size_in_bytes',
    'Total size of the underlying database physically allocated in bytes.',
    (s) => s.dbSize(),
  );
  gauge(
    'etcd_mvcc_db_total_size_in_use_in_bytes',
    'Total size of the underlying database logically in use in bytes.',
    (s) => s.dbSizeInUse(),
  );
  for (const prefix of ['etcd_mvcc', 'etcd_debugging_mvcc']) {
    counterOf(
      `${prefix}_put_total`,
      'Total number of puts seen by this member.',
      storeCount((kv) => kv.counts.puts),
    );
    counterOf(
      `${prefix}_delete_total`,
      'Total number of deletes seen by this member.',
      storeCount((kv) => kv.counts.deletes),
    );
    counterOf(
      `${prefix}_range_total`,
      'Total number of ranges seen by this member.',
      storeCount((kv) => kv.counts.ranges),
    );
    counterOf(
      `${prefix}_txn_total`,
      'Total number of txns seen by this member.',
      storeCount((kv) => kv.counts.txns),
    );
  }
  gauge(
    'etcd_debugging_mvcc_total_put_size_in_bytes',
    'The total size of put kv pairs seen by this member.',
    storeCount((kv) => kv.counts.putBytes),
  );
  gauge(
    'etcd_debugging_mvcc_keys_total',
    'Total number of keys.',
    storeCount((kv) => kv.liveKeys()),
  );
  gauge(
    'etcd_debugging_mvcc_current_revision',
    'The current revision of store.',
    storeCount((kv) => kv.rev),
  );
  gauge(
    'etcd_debugging_mvcc_compact_revision',
    'The revision of the last compaction in store.',
    // etcd's store starts at -1: never compacted
    storeCount((kv) => (kv.compactRevision > 0 ? kv.compactRevision : -1)),
  );
  gauge(
    'etcd_debugging_mvcc_watch_stream_total',
    'Total number of watch streams.',
    storeCount((kv) => kv.streamCounts().streams),
  );
  gauge(
    'etcd_debugging_mvcc_watcher_total',
    'Total number of watchers.',
    storeCount((kv) => {
      const c = kv.watcherCounts();
      return c.synced + c.unsynced + c.victims;
    }),
  );
  gauge(
    'etcd_debugging_mvcc_slow_watcher_total',
    'Total number of unsynced slow watchers.',
    storeCount((kv) => {
      const c = kv.watcherCounts();
      return c.unsynced + c.victims;
    }),
  );
  counterOf(
    'etcd_debugging_mvcc_events_total',
    'Total number of events sent by this member.',
    storeCount((kv) => kv.counts.events),
  );
  gauge(
    'etcd_debugging_mvcc_pending_events_total',
    'Total number of pending events to be sent.',
    storeCount((kv) => kv.streamCounts().pendingEvents),
  );
  counterOf(
    'etcd_debugging_mvcc_db_compaction_keys_total',
    'Total number of db keys compacted.',
    storeCount((kv) => kv.counts.compactedKeys),
  );
  const indexCompactionPause = new prom.Histogram({
    name: 'etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds',
    help: 'Bucketed histogram of index compaction pause duration.',
    buckets: expBuckets(0.5, 2, 14),
  });
  const dbCompactionPause = new prom.Histogram({
    name: 'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds',
    help: 'Bucketed histogram of db compaction pause duration.',
    buckets: expBuckets(1, 2, 13),
  });
  const dbCompactionTotal = new prom.Histogram({
    name: 'etcd_debugging_mvcc_db_compaction_total_duration_milliseconds',
    help: 'Bucketed histogram of db compaction total duration.',
    buckets: expBuckets(100, 2, 14),
  });
  const compaction: CompactionObserver = {
    indexCompaction: (ms) => indexCompactionPause.observe(ms),
    dbCompactionBatch: (ms) => dbCompactionPause.observe(ms),
    dbCompaction: (ms) => dbCompactionTotal.observe(ms),
  };

  // lease
  const leaseGranted = new prom.Counter({
    name: 'etcd_debugging_lease_granted_total',
    help: 'The total number of granted leases.',
  });
  const leaseRevoked = new prom.Counter({
    name: 'etcd_debugging_lease_revoked_total',
    help: 'The total number of revoked leases.',
  });
  const leaseRenewed = new prom.Counter({
    name: 'etcd_debugging_lease_renewed_total',
    help: 'The number of renewed leases seen by the leader.',
  });
  const leaseTtl = new prom.Histogram({
    name: 'etcd_debugging_lease_ttl_total',
    help: 'Bucketed histogram of lease TTLs.',
    buckets: expBuckets(1, 2, 24),
  });
  const lease: LessorObserver = {
    granted: (ttl) => {
      leaseGranted.inc();
      leaseTtl.observe(ttl);
    },
    revoked: () => leaseRevoked.inc(),
    renewed: () => leaseRenewed.inc(),
  };

  // network: peers
  const rtt = new prom.Histogram({
    name: 'etcd_network_peer_round_trip_time_seconds',
    help: 'Round-Trip-Time histogram between peers',
    labelNames: ['To'],
    buckets: expBuckets(0.0001, 2, 16),
  });
  new prom.Counter({
    name: 'etcd_network_peer_sent_bytes_total',
    help: 'The total number of bytes sent to peers.',
    labelNames: ['To'],
    collect() {
      if (!source) return;
      this.reset();
      for (const p of source.peers().peers) this.inc({ To: hex(p.id) }, p.sentBytes);
    },
  });
  new prom.Counter({
    name: 'etcd_network_peer_sent_failures_total',
    help: 'The total number of send failures from peers.',
    labelNames: ['To'],
    collect() {
      if (!source) return;
      this.reset();
      for (const p of source.peers().peers) if (p.dropped > 0) this.inc({ To: hex(p.id) }, p.dropped);
    },
  });
  new prom.Counter({
    name: 'etcd_network_peer_received_bytes_total',
    help: 'The total number of bytes received from peers.',
    labelNames: ['From'],
    collect() {
      if (!source) return;
      this.reset();
      for (const [from, n] of source.peers().received) this.inc({ From: hex(from) }, n);
    },
  });
  new prom.Gauge({
    name: 'etcd_network_active_peers',
    help: 'The current number of active peer connections.',
    labelNames: ['Local', 'Remote'],
    collect() {
      if (!source) return;
      this.reset();
      const local = hex(source.memberId());
      for (const p of source.peers().peers) this.set({ Local: local, Remote: hex(p.id) }, p.active ? 1 : 0);
    },
  });
  new prom.Counter({
    name: 'etcd_network_disconnected_peers_total',
    help: 'The total number of disconnected peers.',
    labelNames: ['Local', 'Remote'],
    collect() {
      if (!source) return;
      this.reset();
      const local = hex(source.memberId());
      for (const p of source.peers().peers)
        if (p.disconnects > 0) this.inc({ Local: local, Remote: hex(p.id) }, p.disconnects);
    },
  });

  const disk = (name: string, help: string, buckets: number[]) => new prom.Histogram({ name, help, buckets });
  return {
    compaction,
    lease,
    /** One child per peer, bound once (no label object per observation). */
    peerRtt: (to: bigint) => rtt.labels({ To: hex(to) }),
    leaderChanges: new prom.Counter({
      name: 'etcd_server_leader_changes_seen_total',
      help: 'The number of leader changes seen.',
    }),
    proposalsFailed: new prom.Counter({
      name: 'etcd_server_proposals_failed_total',
      help: 'The total number of failed proposals seen.',
    }),
    heartbeatSendFailures: new prom.Counter({
      name: 'etcd_server_heartbeat_send_failures_total',
      help: 'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
    }),
    slowApply: new prom.Counter({
      name: 'etcd_server_slow_apply_total',
      help: 'The total number of slow apply requests (likely overloaded from slow disk).',
    }),
    learnerPromoteSuccesses: new prom.Counter({
      name: 'etcd_server_learner_promote_successes',
      help: 'The total number of successful learner promotions while this member is leader.',
    }),
    // a gauge in etcd 3.4
    walWriteBytes: new prom.Gauge({
      name: 'etcd_disk_wal_write_bytes_total',
      help: 'Total number of bytes written in WAL.',
    }),
    snapshotApplyInProgress: new prom.Gauge({
      name: 'etcd_server_snapshot_apply_in_progress_total',
      help: '1 if the server is applying the incoming snapshot. 0 if none.',
    }),
    leaseExpired: new prom.Counter({
      name: 'etcd_debugging_server_lease_expired_total',
      help: 'The total number of expired leases.',
    }),
    walFsync: disk(
      'etcd_disk_wal_fsync_duration_seconds',
      'The latency distributions of fsync called by WAL.',
      expBuckets(0.001, 2, 14),
    ),
    backendCommit: disk(
      'etcd_disk_backend_commit_duration_seconds',
      'The latency distributions of commit called by backend.',
      expBuckets(0.001, 2, 14),
    ),
    // 100 MB takes about a second: buckets from 0.1 s to 409.6 s, as etcd's
    backendDefrag: disk(
      'etcd_disk_backend_defrag_duration_seconds',
      'The latency distribution of backend defragmentation.',
      expBuckets(0.1, 2, 13),
    ),
    defragInflight: new prom.Gauge({
      name: 'etcd_disk_defrag_inflight',
      help: 'Whether or not defrag is active on the member. 1 means active, 0 means not.',
    }),
    backendSnapshot: disk(
      'etcd_disk_backend_snapshot_duration_seconds',
      'The latency distribution of backend snapshots.',
      expBuckets(0.01, 2, 17),
    ),
    hash: disk(
      'etcd_mvcc_hash_duration_seconds',
      'The latency distribution of storage hash operation.',
      expBuckets(0.01, 2, 15),
    ),
    hashRev: disk(
      'etcd_mvcc_hash_rev_duration_seconds',
      'The latency distribution of storage hash by revision operation.',
      expBuckets(0.01, 2, 15),
    ),
    snapSaveTotal: disk(
      'etcd_debugging_snap_save_total_duration_seconds',
      'The total latency distributions of save called by snapshot.',
      expBuckets(0.001, 2, 14),
    ),
    snapSaveMarshalling: disk(
      'etcd_debugging_snap_save_marshalling_duration_seconds',
      'The marshalling cost distributions of save called by snapshot.',
      expBuckets(0.001, 2, 14),
    ),
  };
}

export type ServerMetrics = ReturnType<typeof create>;

let metrics: ServerMetrics | undefined;

/** The process's member metrics, now reading `s`. */
export function serverMetrics(
  s: MetricsSource,
  versions: { server: string; cluster: string },
): ServerMetrics {
  source = s;
  metrics ??= create(versions);
  return metrics;
}

/** Passes a stream through, observing the seconds from its start to its end (etcd's snapshot duration). */
export async function* timedStream<T>(
  inner: AsyncIterable<T>,
  h: { observe(seconds: number): void },
): AsyncGenerator<T> {
  const t0 = performance.now();
  yield* inner;
  h.observe((performance.now() - t0) / 1000);
}

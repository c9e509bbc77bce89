import * as prom from 'prom-client';

// etcd's main metrics, in prom-client's default registry (what GET /metrics serves). One set per process:
// gauges read whichever member registered last (a process normally runs one member).
export interface MetricsSource {
  hasLeader(): boolean;
  isLeader(): boolean;
  committed(): number;
  applied(): number;
  pending(): number;
  dbSize(): number;
}

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

function create() {
  return {
    hasLeader: gauge(
      'etcd_server_has_leader',
      'Whether or not a leader exists. 1 is existence, 0 is not.',
      (s) => (s.hasLeader() ? 1 : 0),
    ),
    isLeader: gauge(
      'etcd_server_is_leader',
      'Whether or not this member is a leader. 1 if is, 0 otherwise.',
      (s) => (s.isLeader() ? 1 : 0),
    ),
    committed: gauge(
      'etcd_server_proposals_committed_total',
      'The total number of consensus proposals committed.',
      (s) => s.committed(),
    ),
    applied: gauge(
      'etcd_server_proposals_applied_total',
      'The total number of consensus proposals applied.',
      (s) => s.applied(),
    ),
    pending: gauge(
      'etcd_server_proposals_pending',
      'The current number of pending proposals to commit.',
      (s) => s.pending(),
    ),
    dbSize: gauge(
      'etcd_mvcc_db_total_size_in_bytes',
      'Total size of the underlying database physically allocated in bytes.',
      (s) => s.dbSize(),
    ),
    leaderChanges: new prom.Counter({
      name: 'etcd_server_leader_changes_seen_total',
      help: 'The number of leader changes seen.',
    }),
    proposalsFailed: new prom.Counter({
      name: 'etcd_server_proposals_failed_total',
      help: 'The total number of failed proposals seen.',
    }),
    walFsync: new prom.Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: prom.exponentialBuckets(0.001, 2, 14),
    }),
    backendCommit: new prom.Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend.',
      buckets: prom.exponentialBuckets(0.001, 2, 14),
    }),
  };
}

let metrics: ReturnType<typeof create> | undefined;

export function serverMetrics(s: MetricsSource): ReturnType<typeof create> {
  source = s;
  metrics ??= create();
  return metrics;
}

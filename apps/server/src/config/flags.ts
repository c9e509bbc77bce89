import type { EtcdConfig } from './config.js';
import { parseUrlList } from './urls.js';

// Every flag etcd 3.4 knows. Those with a `key` set the config; the rest are accepted and ignored so that
// command lines written for etcd keep working (proxy, discovery and profiling are not implemented).
type Kind = 'string' | 'uint' | 'uint32' | 'int' | 'bool' | 'urls' | 'choice' | 'duration';

export interface FlagSpec {
  name: string;
  kind: Kind;
  key?: keyof EtcdConfig;
  choices?: readonly string[];
  /** Converts a duration flag to the unit the config holds. */
  unitMs?: number;
}

const f = (name: string, kind: Kind, key?: keyof EtcdConfig, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name,
  kind,
  key,
  ...extra,
});

export const FLAGS: readonly FlagSpec[] = [
  f('name', 'string', 'name'),
  f('data-dir', 'string', 'dataDir'),
  f('wal-dir', 'string', 'walDir'),
  f('snapshot-count', 'uint', 'snapshotCount'),
  f('heartbeat-interval', 'uint', 'heartbeatIntervalMs'),
  f('election-timeout', 'uint', 'electionTimeoutMs'),
  f('initial-election-tick-advance', 'bool', 'initialElectionTickAdvance'),
  f('listen-peer-urls', 'urls', 'listenPeerUrls'),
  f('listen-client-urls', 'urls', 'listenClientUrls'),
  f('max-snapshots', 'uint', 'maxSnapshots'),
  f('max-wals', 'uint', 'maxWals'),
  f('quota-backend-bytes', 'int', 'quotaBackendBytes'),
  f('backend-batch-interval', 'duration'),
  f('backend-batch-limit', 'uint'),
  f('max-txn-ops', 'uint', 'maxTxnOps'),
  f('max-request-bytes', 'uint', 'maxRequestBytes'),
  f('max-concurrent-streams', 'uint32', 'maxConcurrentStreams'),
  f('grpc-keepalive-min-time', 'duration'),
  f('grpc-keepalive-interval', 'duration'),
  f('grpc-keepalive-timeout', 'duration'),
  f('initial-advertise-peer-urls', 'urls', 'initialAdvertisePeerUrls'),
  f('initial-cluster', 'string', 'initialCluster'),
  f('initial-cluster-state', 'choice', 'initialClusterState', { choices: ['new', 'existing'] }),
  f('initial-cluster-token', 'string', 'initialClusterToken'),
  f('advertise-client-urls', 'urls', 'advertiseClientUrls'),
  f('discovery', 'string'),
  f('discovery-fallback', 'choice', undefined, { choices: ['exit', 'proxy'] }),
  f('discovery-proxy', 'string'),
  f('discovery-srv', 'string'),
  f('discovery-srv-name', 'string'),
  f('strict-reconfig-check', 'bool', 'strictReconfigCheck'),
  f('pre-vote', 'bool', 'preVote'),
  f('auto-compaction-retention', 'string', 'autoCompactionRetention'),
  f('auto-compaction-mode', 'string', 'autoCompactionMode'),
  f('enable-v2', 'bool'),
  f('cert-file', 'string', 'certFile'),
  f('key-file', 'string', 'keyFile'),
  f('client-cert-auth', 'bool', 'clientCertAuth'),
  f('client-crl-file', 'string', 'clientCrlFile'),
  f('client-cert-allowed-hostname', 'string'),
  f('trusted-ca-file', 'string', 'trustedCaFile'),
  f('auto-tls', 'bool', 'autoTls'),
  f('peer-cert-file', 'string', 'peerCertFile'),
  f('peer-key-file', 'string', 'peerKeyFile'),
  f('peer-client-cert-auth', 'bool', 'peerClientCertAuth'),
  f('peer-trusted-ca-file', 'string', 'peerTrustedCaFile'),
  f('peer-cert-allowed-cn', 'string', 'peerCertAllowedCn'),
  f('peer-cert-allowed-hostname', 'string'),
  f('peer-auto-tls', 'bool', 'peerAutoTls'),
  f('peer-crl-file', 'string'),
  f('cipher-suites', 'string'),
  f('cors', 'string'),
  f('host-whitelist', 'string'),
  f('auth-token', 'string', 'authToken'),
  f('bcrypt-cost', 'uint'),
  f('auth-token-ttl', 'uint', 'authTokenTtl'),
  f('enable-pprof', 'bool'),
  f('metrics', 'string', 'metrics'),
  f('listen-metrics-urls', 'string'),
  f('logger', 'string'),
  f('log-outputs', 'string'),
  f('log-level', 'string', 'logLevel'),
  f('debug', 'bool'),
  f('log-package-levels', 'string'),
  f('proxy', 'choice', undefined, { choices: ['off', 'readonly', 'on'] }),
  f('proxy-failure-wait', 'uint'),
  f('proxy-refresh-interval', 'uint'),
  f('proxy-dial-timeout', 'uint'),
  f('proxy-write-timeout', 'uint'),
  f('proxy-read-timeout', 'uint'),
  f('experimental-initial-corrupt-check', 'bool'),
  f('experimental-corrupt-check-time', 'duration'),
  f('experimental-enable-v2v3', 'string'),
  f('experimental-backend-bbolt-freelist-type', 'string'),
  f('experimental-enable-lease-checkpoint', 'bool', 'enableLeaseCheckpoint'),
  f('experimental-compaction-batch-limit', 'int', 'compactionBatchLimit'),
  f('experimental-peer-skip-client-san-verification', 'bool', 'peerSkipClientSanVerification'),
  f('experimental-watch-progress-notify-interval', 'duration', 'watchProgressNotifyIntervalMs'),
  f('experimental-warning-apply-duration', 'duration'),
  f('experimental-snapshot-catchup-entries', 'uint', 'snapshotCatchUpEntries'),
  f('force-new-cluster', 'bool', 'forceNewCluster'),
  f('config-file', 'string'),
  f('version', 'bool'),
  f('help', 'bool'),
  f('h', 'bool'),
];

export const FLAG_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((s) => [s.name, s]));

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, to milliseconds ("1h30m", "250ms", "0"). */
export function parseDurationMs(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  const body = text.startsWith('+') || text.startsWith('-') ? text.slice(1) : text;
  re.lastIndex = 0;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== body.length || body.length === 0) throw new Error(`time: invalid duration "${text}"`);
  return text.startsWith('-') ? -total : total;
}

/** Converts one flag's text to its value, throwing with Go's flag package wording on a bad value. */
export function parseFlagValue(spec: FlagSpec, text: string): unknown {
  switch (spec.kind) {
    case 'string':
      return text;
    case 'uint': {
      if (!/^\+?\d+$/.test(text)) throw new Error('parse error');
      return Number(text);
    }
    case 'uint32': {
      // etcd's uint32 flags report strconv.ParseUint's errors
      if (!/^\d+$/.test(text))
        throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
      const n = Number(text);
      if (n > 0xffffffff)
        throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`);
      return n;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(text)) throw new Error('parse error');
      return Number(text);
    }
    case 'bool': {
      const t = ['1', 't', 'T', 'TRUE', 'true', 'True'];
      const fl = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
      if (t.includes(text)) return true;
      if (fl.includes(text)) return false;
      throw new Error('parse error');
    }
    case 'urls':
      return parseUrlList(text);
    case 'choice':
      if (!spec.choices!.includes(text)) throw new Error('invalid value');
      return text;
    case 'duration':
      return parseDurationMs(text);
  }
}

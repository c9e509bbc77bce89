import { AuthOptionsError, newTokenProvider } from '../auth/token-provider.js';
import { parseRetention } from '../etcd-server/compactor.js';

// The member's configuration: what etcd's flags set, with etcd's defaults.
export type ClusterState = 'new' | 'existing';
export type AutoCompactionMode = 'periodic' | 'revision';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';

export interface EtcdConfig {
  name: string;
  /** Defaults to `<name>.etcd`. */
  dataDir: string;
  /** Empty: the WAL lives under dataDir/member/wal. */
  walDir: string;
  snapshotCount: number;
  /** Snapshot entries kept in the raft log after a snapshot so slow followers catch up without one. */
  snapshotCatchUpEntries: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  listenPeerUrls: string[];
  listenClientUrls: string[];
  initialAdvertisePeerUrls: string[];
  advertiseClientUrls: string[];
  /** name=url,name=url as on the command line. */
  initialCluster: string;
  initialClusterState: ClusterState;
  initialClusterToken: string;
  /** 0 means etcd's default quota of 2 GiB. */
  quotaBackendBytes: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  maxSnapshots: number;
  maxWals: number;
  autoCompactionMode: AutoCompactionMode;
  /** As given: a number of hours or a duration ('5m') in periodic mode, a revision count otherwise. */
  autoCompactionRetention: string;
  logLevel: LogLevel;
  /** --metrics: 'extensive' adds gRPC handling-time histograms (grpc_server_handling_seconds). */
  metrics: string;
  preVote: boolean;
  strictReconfigCheck: boolean;
  initialElectionTickAdvance: boolean;
  enableLeaseCheckpoint: boolean;
  compactionBatchLimit: number;
  watchProgressNotifyIntervalMs: number;
  forceNewCluster: boolean;
  /** Client TLS (--cert-file, --key-file): PEM paths; empty serves plain HTTP/h2c. */
  certFile: string;
  keyFile: string;
  /** --trusted-ca-file: the CA that signs client certificates. */
  trustedCaFile: string;
  /** --client-cert-auth: refuse clients without a certificate signed by the trusted CA. */
  clientCertAuth: boolean;
  /** --auto-tls: with https client URLs and no cert files, a self-signed pair under dataDir/fixtures/client. */
  autoTls: boolean;
  /** Peer TLS (--peer-cert-file, --peer-key-file): used on https:// peer URLs, listening and dialing. */
  peerCertFile: string;
  peerKeyFile: string;
  /** --peer-trusted-ca-file: verifies the other members' certificates (and, given, requires one of them). */
  peerTrustedCaFile: string;
  /** --peer-client-cert-auth: refuse peers without a certificate signed by the peer trusted CA. */
  peerClientCertAuth: boolean;
  /** --peer-cert-allowed-cn: a peer's certificate must carry this common name. */
  peerCertAllowedCn: string;
  /** --peer-auto-tls: self-signed peer certificates under dataDir/fixtures/peer, chains not verified. */
  peerAutoTls: boolean;
  /** --experimental-peer-skip-client-san-verification: a peer certificate's names need not cover its address. */
  peerSkipClientSanVerification: boolean;
  /** --client-crl-file: a CRL whose serial numbers are refused on the client port (empty: none). */
  clientCrlFile: string;
  /** --auth-token: `simple`, or `jwt,sign-method=...,pub-key=...,priv-key=...,ttl=...` (auth/token-provider.ts). */
  authToken: string;
  /** --auth-token-ttl in seconds: a simple token unused this long expires. */
  authTokenTtl: number;
  /** --max-concurrent-streams: HTTP/2 streams one client connection may have open (0: no limit, as grpc-go). */
  maxConcurrentStreams: number;
}

export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

export function defaultConfig(): EtcdConfig {
  return {
    name: 'default',
    dataDir: '',
    walDir: '',
    snapshotCount: 100000,
    snapshotCatchUpEntries: 5000,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    listenPeerUrls: ['http://localhost:2380'],
    listenClientUrls: ['http://localhost:2379'],
    initialAdvertisePeerUrls: ['http://localhost:2380'],
    advertiseClientUrls: ['http://localhost:2379'],
    initialCluster: '',
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    quotaBackendBytes: 0,
    maxTxnOps: 128,
    maxRequestBytes: 1572864,
    maxSnapshots: 5,
    maxWals: 5,
    autoCompactionMode: 'periodic',
    autoCompactionRetention: '0',
    logLevel: 'info',
    metrics: 'basic',
    preVote: false,
    strictReconfigCheck: true,
    initialElectionTickAdvance: true,
    enableLeaseCheckpoint: false,
    compactionBatchLimit: 1000,
    watchProgressNotifyIntervalMs: 10 * 60 * 1000,
    forceNewCluster: false,
    certFile: '',
    keyFile: '',
    trustedCaFile: '',
    clientCertAuth: false,
    autoTls: false,
    peerCertFile: '',
    peerKeyFile: '',
    peerTrustedCaFile: '',
    peerClientCertAuth: false,
    peerCertAllowedCn: '',
    peerAutoTls: false,
    peerSkipClientSanVerification: false,
    clientCrlFile: '',
    authToken: 'simple',
    authTokenTtl: 300,
    maxConcurrentStreams: 0xffffffff,
  };
}

/** Fills the values etcd derives from others (data dir from name, initial cluster from the peer URLs). */
export function completeConfig(partial: Partial<EtcdConfig>): EtcdConfig {
  const c: EtcdConfig = { ...defaultConfig(), ...partial };
  if (!c.dataDir) c.dataDir = `${c.name}.etcd`;
  if (!c.initialCluster) c.initialCluster = c.initialAdvertisePeerUrls.map((u) => `${c.name}=${u}`).join(',');
  return c;
}

export class ConfigError extends Error {
  constructor(
    message: string,
    /** The process exit code etcd uses for this kind of mistake. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The checks etcd makes after parsing ("error verifying flags, ..."). */
export function verifyConfig(c: EtcdConfig): void {
  const bad = (msg: string) => new ConfigError(`error verifying flags, ${msg}. See 'etcd --help'.`, 1);
  if (5 * c.heartbeatIntervalMs > c.electionTimeoutMs) {
    throw bad(
      `--election-timeout[${c.electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${c.heartbeatIntervalMs}ms]`,
    );
  }
  if (c.heartbeatIntervalMs <= 0) throw bad('--heartbeat-interval must be > 0');
  if (c.autoCompactionMode !== 'periodic' && c.autoCompactionMode !== 'revision') {
    throw bad(`unknown auto-compaction-mode ${JSON.stringify(c.autoCompactionMode)}`);
  }
  if (!['debug', 'info', 'warn', 'error', 'panic', 'fatal'].includes(c.logLevel)) {
    throw bad(`unknown log level ${JSON.stringify(c.logLevel)}`);
  }
  try {
    parseRetention(c.autoCompactionMode, c.autoCompactionRetention);
  } catch {
    throw bad(`invalid auto-compaction-retention ${JSON.stringify(c.autoCompactionRetention)}`);
  }
  if (c.listenClientUrls.length === 0) throw bad('--listen-client-urls must not be empty');
  if (c.listenPeerUrls.length === 0) throw bad('--listen-peer-urls must not be empty');
  try {
    // Building the provider reads and checks the key files, so a bad --auth-token fails before any
    // state is touched.
    newTokenProvider(c.authToken, Math.max(1, c.authTokenTtl) * 1000);
  } catch (e) {
    if (!(e instanceof AuthOptionsError)) throw e;
    // etcd logs the reason for a generic "invalid auth options" first
    throw new ConfigError(e.detail ? `auth: ${e.detail}\n${e.message}` : e.message, 1);
  }
  verifyTlsConfig(c);
}

/** etcd's refusals of https:// URLs without certificates (auto TLS makes its own). */
function verifyTlsConfig(c: EtcdConfig): void {
  const peerHttps = c.listenPeerUrls.find((u) => /^https:/i.test(u));
  if (peerHttps && !c.peerAutoTls && (!c.peerCertFile || !c.peerKeyFile)) {
    const { host } = new URL(peerHttps);
    throw new ConfigError(`cannot listen on TLS for ${host}: KeyFile and CertFile are not presented`, 1);
  }
  const https = c.listenClientUrls.find((u) => /^https:/i.test(u));
  if (https && !c.autoTls && (!c.certFile || !c.keyFile)) {
    throw new ConfigError(
      `TLS key/cert (--cert-file, --key-file) must be provided for client url ${https} with HTTPS scheme`,
      1,
    );
  }
}

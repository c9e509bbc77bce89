import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { etcdserverpb, toInt64, toLong, toNumber, toUint64 } from '@kv/api-proto';
import { decodeLeaseRecord, LeaseIdGenerator, Lessor, MAX_LEASE_TTL } from '@kv/lease';
import { Backend, type BackendSizes, type Namespace, WatchableStore } from '@kv/mvcc';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  decodeEntryConfChange,
  decodeMessage,
  type Entry,
  EntryType,
  ErrProposalDropped,
  encodeMessage,
  encodeSnapshot,
  type Message,
  MessageType,
  RawNode,
  type RawNode as RawNodeT,
  type Snapshot,
  StateType,
} from '@kv/raft';
import { Applier, type ApplyResult, toEtcdError } from '../apply/applier.js';
import { type Header, rangeFromPb, rangeRespToPb, txnFromPb, txnRespToPb } from '../apply/pb-convert.js';
import { checkLeaseKeys, checkTxn as checkTxnPermission } from '../apply/permission-check.js';
import { fits, LEASE_OVERHEAD, putCost, quotaBytes, txnCost } from '../apply/quota.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { type AuthInfo, AuthStore, ROOT } from '../auth/store.js';
import { newTokenProvider, type TokenProvider } from '../auth/token-provider.js';
import { writeBackendBolt } from '../backend-file/bolt-export.js';
import { ConfigError, type EtcdConfig } from '../config/config.js';
import { parseInitialCluster } from '../config/initial-cluster.js';
import { hostPortOf } from '../config/urls.js';
import { EtcdError, etcdError } from '../errors.js';
import { RequestIdGenerator } from '../ids/request-id.js';
import { type ClusterJson, MembershipError, RaftCluster } from '../membership/cluster.js';
import { type Member, newMember } from '../membership/member.js';
import { HeartbeatTiming } from '../metrics/heartbeat-timing.js';
import { serverMetrics, timedStream } from '../metrics/server-metrics.js';
import { RaftNode } from '../raft-node/raft-node.js';
import type {
  Access,
  Caller,
  WatchStream as ClientWatchStream,
  EtcdServerApi,
  WatchSink,
} from '../server-api.js';
import { peerTlsOf } from '../tls/member-tls.js';
import { fetchClusterInfo } from '../transport/connect.js';
import type { PeerTls } from '../transport/peer-tls.js';
import { Transport } from '../transport/transport.js';
import { Wal } from '../wal/wal.js';
import { Alarms } from './alarms.js';
import { dumpBackend, loadBackendDump } from './backend-dump.js';
import { AutoCompactor, parseRetention } from './compactor.js';
import { createLogger, type Logger } from './logger.js';
import { decodeChangeContext, encodeChangeContext } from './member-change.js';
import { type MemberPaths, memberPaths, openRaftStorage, type RaftStorage } from './raft-storage.js';
import { ReadIndexBatcher } from './read-index.js';
import { snapshotChunks } from './snapshot-stream.js';
import { CLUSTER_VERSION, SERVER_VERSION } from './version.js';
import { AppliedWaiters, ProposalWaiters } from './wait.js';
import { WatchAdapter } from './watch-adapter.js';

export { CLUSTER_VERSION, SERVER_VERSION };

const MEMBERS_KEY = Buffer.from('cluster');
const SNAPSHOT_SYNC_KEY = Buffer.from('snapshot_synced_index');
const { AlarmType } = etcdserverpb;
/** The auth store's error texts behind etcd's gRPC ones (auth/store.go), for the paths that leak them. */
const RAW_AUTH_ERRORS = new Map([
  ['etcdserver: permission denied', 'auth: permission denied'],
  ['etcdserver: user name is empty', 'auth: user name is empty'],
  ['etcdserver: user name not found', 'auth: user not found'],
  ['etcdserver: invalid auth token', 'auth: invalid auth token'],
]);

export interface EtcdServerOptions {
  logger?: Logger;
  /** Segment size of the WAL (tests use small ones). */
  walSegmentBytes?: number;
}

type Pb<T> = T;

/**
 * One etcd member: raft driven by RaftNode over the WAL and the peer transport, committed entries applied to
 * the mvcc store and the lessor, and the client operations etcd's gRPC services map to.
 */
export class EtcdServer implements EtcdServerApi {
  readonly id: bigint;
  clusterId: bigint;
  readonly log: Logger;
  readonly cluster: RaftCluster;
  private readonly paths: MemberPaths;
  private backend!: Backend;
  kv!: WatchableStore;
  private leaseNs!: Namespace;
  private membersNs!: Namespace;
  readonly lessor: Lessor;
  private alarms!: Alarms;
  /** Users, roles, the auth switch; reloaded with the backend. Simple tokens live in this member's memory. */
  auth!: AuthStore;
  private readonly tokens: TokenProvider;
  private applier!: Applier;
  private readonly rs: RaftStorage;
  readonly rawNode: RawNodeT;
  readonly raftNode: RaftNode;
  readonly transport: Transport;
  private readonly waiters = new ProposalWaiters();
  private readonly appliedWaiters = new AppliedWaiters();
  private readonly reads: ReadIndexBatcher;
  private readonly reqIds: RequestIdGenerator;
  private readonly leaseIds: LeaseIdGenerator;
  private confState: ConfState;
  private appliedIndex: number;
  private snapshotIndex: number;
  private snapshotting = false;
  private campaignAfterApply = false;
  private promotedTerm = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private compactor: AutoCompactor | undefined;
  private readonly watchAdapters = new Set<WatchAdapter>();
  private sizeSample = 0;
  private removed = false;
  private sizeSampledAt = 0;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private published = false;
  private publishedDone = false;
  private capabilitiesLogged = false;
  private readonly requestTimeoutMs: number;
  private headerIds: [bigint, ReturnType<typeof toLong>, ReturnType<typeof toLong>] | undefined;
  /** Ports the peer listeners bound (useful when configured with port 0). */
  peerPorts: number[] = [];
  /** Ports the client listeners bound. */
  clientPorts: number[] = [];
  /** Resolves when the member stops on its own (removed from the cluster, fatal error). */
  readonly done: Promise<void>;
  private markDone!: () => void;
  readonly metrics: ReturnType<typeof serverMetrics>;
  private readonly heartbeats: HeartbeatTiming;

  private constructor(
    readonly cfg: EtcdConfig,
    log: Logger,
    rs: RaftStorage,
    cluster: RaftCluster,
    paths: MemberPaths,
    peerTls: PeerTls | undefined,
  ) {
    this.log = log;
    this.rs = rs;
    this.cluster = cluster;
    this.paths = paths;
    this.id = rs.nodeId;
    this.clusterId = rs.clusterId;
    this.done = new Promise((r) => (this.markDone = r));
    this.requestTimeoutMs = 5000 + 2 * cfg.electionTimeoutMs;
    this.metrics = serverMetrics(
      {
        memberId: () => this.id,
        hasLeader: () => this.lead !== 0n,
        isLeader: () => this.isLeader,
        isLearner: () => this.cluster.member(this.id)?.isLearner === true,
        committed: () => this.committedIndex,
        applied: () => this.appliedIndex,
        pending: () => this.waiters.size,
        dbSize: () => this.backendSizes().total,
        dbSizeInUse: () => this.backendSizes().inUse,
        quotaBytes: () => quotaBytes(cfg.quotaBackendBytes),
        authRevision: () => this.auth?.revision ?? 0,
        store: () => (this.stopped ? undefined : this.kv),
        peers: () => ({ peers: this.transport.peerStats(), received: this.transport.receivedBytes }),
        readIndexes: () => ({ slow: this.reads.slowRounds, failed: this.reads.failedRounds }),
      },
      { server: SERVER_VERSION, cluster: CLUSTER_VERSION.split('.').slice(0, 2).join('.') },
    );
    this.heartbeats = new HeartbeatTiming(cfg.heartbeatIntervalMs, {
      late: () => this.metrics.heartbeatSendFailures.inc(),
      roundTrip: (peer) => this.metrics.peerRtt(peer),
    });
    // --auth-token was checked by verifyConfig; a bad one throws here too (embedding code)
    this.tokens = newTokenProvider(cfg.authToken, Math.max(1, cfg.authTokenTtl) * 1000, (m) => log.warn(m));
    this.reqIds = new RequestIdGenerator(this.id);
    this.leaseIds = new LeaseIdGenerator(this.id);
    this.lessor = new Lessor({
      minTTL: Math.ceil((3 * cfg.electionTimeoutMs) / 2 / 1000),
      checkpointing: cfg.enableLeaseCheckpoint,
      observer: this.metrics.lease,
    });
    this.snapshotIndex = rs.snapshot?.metadata.index ?? 0;
    this.appliedIndex = this.snapshotIndex;
    this.appliedWaiters.advance(this.appliedIndex);
    this.confState = rs.storage.initialState().confState;
    this.rawNode = new RawNode({
      id: this.id,
      electionTick: Math.max(2, Math.round(cfg.electionTimeoutMs / cfg.heartbeatIntervalMs)),
      heartbeatTick: 1,
      storage: rs.storage,
      checkQuorum: true,
      preVote: cfg.preVote,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
      maxUncommittedEntriesSize: 1 << 30,
    });
    this.transport = new Transport(
      {
        localId: this.id,
        clusterId: this.clusterId,
        listen: cfg.listenPeerUrls.map((u) => ({ ...hostPortOf(u), tls: /^https:/i.test(u) })),
        tls: peerTls,
        snapshotTmpDir: paths.snapDir,
        log: (level, msg) => this.log[level]({ component: 'transport' }, msg),
      },
      {
        onMessage: (from, bytes) => {
          const m = decodeMessage(bytes);
          if (m.type === MessageType.MsgHeartbeatResp) this.heartbeats.answered(from);
          this.raftNode.step(m);
        },
        onSnapshot: (from, bytes, dir) => this.receiveSnapshot(from, bytes, dir),
        onUnreachable: (id) => {
          this.rawNode.reportUnreachable(id);
          this.raftNode.kick();
        },
        onSnapshotStatus: (id, ok) => {
          this.rawNode.reportSnapshot(id, ok);
          this.raftNode.kick();
        },
        onPeerDown: (id) => this.onPeerDown(id),
        isRemoved: (id) => this.cluster.isRemoved(id),
        onRpc: (_from, method, body) => this.serveForwarded(method, body),
        onRemoved: () => this.removedFromCluster(),
        clusterInfo: () => JSON.stringify(this.cluster.toJson()),
      },
    );
    this.raftNode = new RaftNode(
      this.rawNode,
      rs.storage,
      rs.wal,
      {
        send: (m) => this.send(m),
        flush: () => this.transport.flush(),
        onSoftState: (ss) => this.onLeaderChange(ss.lead, ss.raftState),
        onReadStates: (states) => this.reads.onReadStates(states),
        saveSnapshot: async (snap) => {
          const t0 = performance.now();
          const bytes = encodeSnapshot(snap);
          this.metrics.snapSaveMarshalling.observe((performance.now() - t0) / 1000);
          rs.snapshotter.save(snap.metadata.term, snap.metadata.index, bytes);
          this.metrics.snapSaveTotal.observe((performance.now() - t0) / 1000);
        },
        apply: (snap, entries) => this.applyAll(snap, entries),
        onFatal: (err) => {
          this.log.fatal({ err }, 'raft loop failed; stopping the member');
          void this.close();
        },
      },
      cfg.heartbeatIntervalMs,
    );
    this.reads = new ReadIndexBatcher(
      (ctx) => {
        this.rawNode.readIndex(ctx);
        this.raftNode.kick();
      },
      this.appliedWaiters,
      Math.max(500, cfg.electionTimeoutMs),
      Math.max(1, Math.ceil(this.requestTimeoutMs / Math.max(500, cfg.electionTimeoutMs))),
      () => (this.lead === 0n ? etcdError('NoLeader') : etcdError('Timeout')),
    );
  }

  /** Opens or creates the member's data and starts raft, the transport and the leader duties. */
  static async start(cfg: EtcdConfig, opts: EtcdServerOptions = {}): Promise<EtcdServer> {
    const log = opts.logger ?? createLogger(cfg.logLevel, cfg.name);
    const paths = memberPaths(cfg.dataDir, cfg.walDir);
    mkdirSync(paths.memberDir, { recursive: true });
    mkdirSync(paths.snapDir, { recursive: true });
    const peerTls = peerTlsOf(cfg, (msg) => log.warn(msg));
    const initial = RaftCluster.fromInitial(
      parseInitialCluster(cfg.initialCluster),
      cfg.initialClusterToken,
      cfg.name,
    );
    // Finish a snapshot install that a crash interrupted between removing the old backend and the rename.
    if (!existsSync(paths.dbDir) && existsSync(`${paths.dbDir}.loading`))
      renameSync(`${paths.dbDir}.loading`, paths.dbDir);
    // Where a restart's time goes (process start to here is node and module loading).
    const boot: Record<string, number> = { processMs: Math.round(process.uptime() * 1000) };
    let phase = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      boot[name] = Math.round(now - phase);
      phase = now;
    };
    const backend = await Backend.open(paths.dbDir);
    lap('backendOpenMs');
    let joining: RaftCluster | undefined;
    const metricsRef: { current?: ReturnType<typeof serverMetrics> } = {};
    let rs: RaftStorage;
    try {
      const walExists = Wal.exists(paths.walDir);
      if (!walExists && initial.localId === 0n) {
        throw new ConfigError(
          `couldn't find local name "${cfg.name}" in the initial cluster configuration`,
          1,
        );
      }
      let ids = { nodeId: initial.localId, clusterId: initial.clusterId };
      if (!walExists && cfg.initialClusterState === 'existing') {
        joining = await fetchExistingCluster(cfg, initial, peerTls);
        ids = { nodeId: joining.localId, clusterId: joining.clusterId };
        log.info(
          { member: ids.nodeId.toString(16), cluster: ids.clusterId.toString(16) },
          'joining an existing cluster',
        );
      }
      rs = await openRaftStorage(paths, ids, cfg.maxSnapshots, opts.walSegmentBytes, (sec, bytes) => {
        metricsRef.current?.walFsync.observe(sec);
        metricsRef.current?.walWriteBytes.inc(bytes);
      });
    } catch (err) {
      await backend.close();
      throw err;
    }
    lap('walReplayMs');
    const membersNs = backend.namespace('members');
    const saved = membersNs.get(MEMBERS_KEY);
    const cluster = new RaftCluster(rs.clusterId, rs.nodeId);
    if (saved) cluster.restore(JSON.parse(saved.toString('utf8')) as ClusterJson);
    else if (joining) cluster.restore(joining.toJson());
    else for (const m of initial.members.values()) cluster.members.set(m.id, m);
    const s = new EtcdServer(cfg, log, rs, cluster, paths, peerTls);
    metricsRef.current = s.metrics;
    await s.openStore(backend);
    lap('storeOpenMs');
    // A crash after raft recorded a leader's snapshot but before its backend copy was installed: finish it.
    if (rs.snapshot && rs.snapshot.metadata.index > s.kv.consistentIndex) {
      if (!existsSync(s.snapshotDumpPath(rs.snapshot.metadata.index))) {
        await s.kv.close();
        await rs.wal.close();
        throw new Error(
          `backend is behind the raft snapshot at ${rs.snapshot.metadata.index} (consistent index ${s.kv.consistentIndex}) and the snapshot's data is missing`,
        );
      }
      await s.installSnapshot(rs.snapshot);
    }
    if (rs.truncatedBytes > 0) log.warn({ bytes: rs.truncatedBytes }, 'cut a torn record off the WAL tail');
    if (rs.fresh && cfg.initialClusterState === 'new') {
      s.rawNode.bootstrap(
        initial.sortedMembers().map((m) => ({ id: m.id, context: encodeChangeContext(m, undefined) })),
      );
    }
    s.peerPorts = await s.transport.start();
    for (const m of cluster.members.values()) s.transport.addPeer(m.id, m.peerUrls);
    // A restarted member dials everyone at once: the leader's stream back to it then skips its backoff.
    s.transport.connectAll();
    lap('restMs');
    log.info(
      { member: s.id.toString(16), cluster: s.clusterId.toString(16), fresh: rs.fresh, boot },
      `starting member ${s.id.toString(16)} in cluster ${s.clusterId.toString(16)}`,
    );
    s.raftNode.start();
    s.startElectionQuickly();
    s.startDuties();
    return s;
  }

  private async openStore(backend: Backend): Promise<void> {
    this.backend = backend;
    this.kv = await WatchableStore.open(backend, {
      compactionBatch: this.cfg.compactionBatchLimit,
      observer: this.metrics.compaction,
    });
    this.leaseNs = backend.namespace('lease');
    this.membersNs = backend.namespace('members');
    this.alarms = new Alarms(backend.namespace('alarm'));
    this.auth = new AuthStore(
      {
        auth: backend.namespace('auth'),
        users: backend.namespace('authUsers'),
        roles: backend.namespace('authRoles'),
      },
      this.tokens,
    );
    const records = [...this.leaseNs.iterate()].map(([, v]) => decodeLeaseRecord(v));
    const all = this.kv.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }).kvs;
    this.lessor.recover(records, all);
    this.applier = new Applier({
      kv: this.kv,
      lessor: this.lessor,
      leaseNs: this.leaseNs,
      auth: this.auth,
      header: () => this.header(),
      onMemberAttributes: (id, name, clientUrls) => {
        this.cluster.updateAttributes(id, name, clientUrls);
        this.saveMembers();
      },
      onAlarm: (req) => this.alarms.apply(req),
      noSpace: () => this.alarms.noSpace,
    });
  }

  // A lone voter need not wait an election timeout; in a cluster, etcd advances the ticks so the first
  // election starts after about one election timeout instead of up to two.
  private startElectionQuickly(): void {
    const voters = this.confState.voters.length || this.cluster.voterCount();
    if (voters === 1 && (this.confState.voters.length === 0 || this.confState.voters[0] === this.id)) {
      // Raft refuses to campaign while committed membership changes are unapplied (the bootstrap
      // entries): try now, and again right after the first apply.
      this.campaignAfterApply = true;
      this.rawNode.campaign();
      this.raftNode.kick();
    } else if (this.cfg.initialElectionTickAdvance) {
      const ticks = Math.max(0, Math.round(this.cfg.electionTimeoutMs / this.cfg.heartbeatIntervalMs) - 1);
      for (let i = 0; i < ticks; i++) this.rawNode.tick();
    }
  }

  get lead(): bigint {
    return this.raftNode.lead;
  }

  /**
   * The leader's peer address refuses connections: its process is gone (crashed or restarting), so
   * there is no live leader whose lease waiting out the election timeout would protect. Skip to the
   * end of the base timeout and keep the randomized rest, so the survivors still campaign apart.
   * A partition or a paused leader refuses nothing and keeps the usual timeout.
   */
  private onPeerDown(id: bigint): void {
    if (this.stopped || id !== this.lead || this.isLeader) return;
    const r = this.rawNode.raft;
    const ticks = r.electionTimeout - Math.min(r.electionElapsed, r.leaderContactElapsed);
    if (ticks <= 0) return;
    for (let i = 0; i < ticks; i++) this.rawNode.tick();
    this.log.info({ leader: id.toString(16), ticks }, 'leader is down; fast-forwarded the election timer');
    this.raftNode.kick();
  }

  get isLeader(): boolean {
    return this.raftNode.isLeader;
  }

  get term(): number {
    return this.rawNode.raft.term;
  }

  get committedIndex(): number {
    return this.rawNode.raft.raftLog.committed;
  }

  get appliedRaftIndex(): number {
    return this.appliedIndex;
  }

  header(revision?: number): Header {
    // Every response carries these two: build their Longs once (the cluster ID is set once when joining).
    if (this.headerIds?.[0] !== this.clusterId) {
      this.headerIds = [this.clusterId, toLong(this.clusterId, true), toLong(this.id, true)];
    }
    return {
      clusterId: this.headerIds[1],
      memberId: this.headerIds[2],
      revision: revision ?? this.kv.rev,
      raftTerm: this.term,
    };
  }

  leader(): bigint {
    return this.lead;
  }

  // ---------------------------------------------------------------- raft plumbing

  private send(m: Message): void {
    if (m.type === MessageType.MsgSnap) {
      this.sendSnapshot(m);
      return;
    }
    if (m.type === MessageType.MsgHeartbeat) this.heartbeats.sent(m.to);
    this.transport.send(m.to, encodeMessage(m));
  }

  private sendSnapshot(m: Message): void {
    const peer = this.cluster.member(m.to);
    if (!peer) {
      this.rawNode.reportSnapshot(m.to, false);
      return;
    }
    const path = join(this.paths.snapDir, `send-${m.to.toString(16)}-${Date.now()}.dump`);
    try {
      const rows = dumpBackend(this.backend, path);
      this.log.info({ to: m.to.toString(16), index: m.snapshot?.metadata.index, rows }, 'sending snapshot');
    } catch (err) {
      this.log.warn({ err }, 'could not copy the backend for a snapshot');
      rmSync(path, { force: true });
      this.rawNode.reportSnapshot(m.to, false);
      return;
    }
    this.transport.sendSnapshot(m.to, encodeMessage(m), [{ name: 'db.dump', path }], peer.peerUrls);
    // The file is read while streaming; drop it a while later whatever happens.
    const t = setTimeout(() => rmSync(path, { force: true }), 10 * 60 * 1000);
    t.unref();
  }

  /** A snapshot arrived: keep its backend copy until raft hands the snapshot back in a Ready. */
  private async receiveSnapshot(_from: bigint, bytes: Buffer, dir: string): Promise<void> {
    const m = decodeMessage(bytes);
    const index = m.snapshot?.metadata.index ?? 0;
    renameSync(
      join(dir, 'db.dump'),
      join(this.paths.snapDir, `${index.toString(16).padStart(16, '0')}.dump`),
    );
    rmSync(dir, { recursive: true, force: true });
    this.log.info({ index }, 'received a snapshot from the leader');
    this.raftNode.step(m);
  }

  private snapshotDumpPath(index: number): string {
    return join(this.paths.snapDir, `${index.toString(16).padStart(16, '0')}.dump`);
  }

  /**
   * Replaces the backend with the leader's copy that came with a snapshot. The copy is loaded into a
   * side directory first and renamed into place, so a crash leaves either the old or the new backend.
   */
  private async installSnapshot(snap: Snapshot): Promise<void> {
    const index = snap.metadata.index;
    const dump = this.snapshotDumpPath(index);
    this.log.info({ index }, 'installing snapshot');
    this.metrics.snapshotApplyInProgress.set(1);
    const loading = `${this.paths.dbDir}.loading`;
    rmSync(loading, { recursive: true, force: true });
    const fresh = await Backend.open(loading);
    const rows = loadBackendDump(fresh, dump);
    fresh.namespace('meta').writeNow({ put: [[SNAPSHOT_SYNC_KEY, Buffer.from(String(index))]] }, true);
    await fresh.close();
    await this.kv.close();
    rmSync(this.paths.dbDir, { recursive: true, force: true });
    renameSync(loading, this.paths.dbDir);
    rmSync(dump, { force: true });
    await this.openStore(await Backend.open(this.paths.dbDir));
    for (const a of this.watchAdapters) a.rebind(this.kv.newWatchStream());
    const saved = this.membersNs.get(MEMBERS_KEY);
    if (saved) this.cluster.restore(JSON.parse(saved.toString('utf8')) as ClusterJson);
    for (const m of this.cluster.members.values()) this.transport.addPeer(m.id, m.peerUrls);
    this.confState = snap.metadata.confState;
    this.snapshotIndex = index;
    this.appliedIndex = index;
    this.appliedWaiters.advance(index);
    this.metrics.snapshotApplyInProgress.set(0);
    this.log.info({ index, rows, revision: this.kv.rev }, 'installed snapshot');
  }

  /** True once this member learned it was removed from the cluster (and so stopped on its own). */
  get wasRemoved(): boolean {
    return this.removed;
  }

  /** This member was removed: it stops, and `done` resolves (bin/etcd then exits 0, as etcd 3.4 does). */
  private removedFromCluster(): void {
    if (this.stopped || this.removed) return;
    this.removed = true;
    this.log.warn('the member has been permanently removed from the cluster');
    setTimeout(() => void this.close(), 100).unref();
  }

  private onLeaderChange(lead: bigint, role: StateType): void {
    this.log.info(
      { leader: lead.toString(16), role: StateType[role], term: this.term },
      'raft leader changed',
    );
    this.metrics.leaderChanges.inc();
    this.heartbeats.reset();
    if (role !== StateType.StateLeader && this.lessor.isPrimary) this.lessor.demote();
    if (lead !== 0n) {
      // etcd logs this once the cluster version is known; its own e2e harness (and scripts built on it)
      // wait for this line and "published" before using a member. Ours is fixed, so it is known with the
      // first leader.
      if (!this.capabilitiesLogged) {
        this.capabilitiesLogged = true;
        this.log.info(
          { 'cluster-version': CLUSTER_VERSION.split('.').slice(0, 2).join('.') },
          'enabled capabilities for version',
        );
      }
      setImmediate(() => this.publish());
    }
  }

  private async applyAll(snap: Snapshot | undefined, entries: Entry[]): Promise<void> {
    if (snap) await this.installSnapshot(snap);
    const results: [bigint, ApplyResult][] = [];
    const ci = this.kv.consistentIndex;
    let membersChanged = false;
    let newLeaderTerm = 0;
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      if (e.type === EntryType.EntryNormal) {
        if (e.data.length === 0) {
          newLeaderTerm = e.term;
          // The leader's first entry of its term: everything before it is applied, leases may expire now.
          if (this.isLeader && e.term === this.term && this.promotedTerm !== e.term) {
            this.promotedTerm = e.term;
            this.lessor.promote(this.cfg.electionTimeoutMs);
          }
        } else if (e.index > ci) {
          const req = etcdserverpb.InternalRaftRequest.decode(e.data);
          const t0 = performance.now();
          results.push([toUint64(req.header?.ID), this.applier.apply(req, e.index)]);
          // etcd's warnApplyDuration
          if (performance.now() - t0 > 100) this.metrics.slowApply.inc();
        }
      } else {
        const cc = decodeEntryConfChange(e);
        this.confState = this.rawNode.applyConfChange(cc);
        if ('changes' in cc) continue;
        const r = this.applyMemberChange(cc, e.index > ci);
        membersChanged ||= r.changed;
        if (r.reqId !== undefined) results.push([r.reqId, { resp: { header: this.header() } }]);
      }
      this.appliedIndex = e.index;
    }
    if (membersChanged) this.saveMembers();
    const t0 = performance.now();
    this.kv.commit(Math.max(ci, this.appliedIndex));
    this.metrics.backendCommit.observe((performance.now() - t0) / 1000);
    this.appliedWaiters.advance(this.appliedIndex);
    for (const [id, r] of results) this.waiters.trigger(id, r);
    if (newLeaderTerm > 0) {
      const n = this.waiters.abandon(newLeaderTerm, () => ({ err: etcdError('TimeoutDueToLeaderFail') }));
      if (n > 0)
        this.log.info({ term: newLeaderTerm, proposals: n }, 'failed proposals lost with the old leader');
    }
    if (this.campaignAfterApply) {
      this.campaignAfterApply = false;
      // After advance(), once raft counts the entries as applied.
      setImmediate(() => {
        if (this.lead === 0n && !this.stopped) {
          this.rawNode.campaign();
          this.raftNode.kick();
        }
      });
    }
    if (this.appliedIndex - this.snapshotIndex > this.cfg.snapshotCount) await this.saveSnapshot();
  }

  private saveMembers(): void {
    this.membersNs.put(MEMBERS_KEY, Buffer.from(JSON.stringify(this.cluster.toJson()), 'utf8'));
  }

  private applyMemberChange(cc: ConfChange, record: boolean): { changed: boolean; reqId?: bigint } {
    const ctx = decodeChangeContext(cc.context);
    if (!record) return { changed: false, reqId: ctx.reqId };
    switch (cc.type) {
      case ConfChangeType.ConfChangeAddNode:
      case ConfChangeType.ConfChangeAddLearnerNode: {
        const existing = this.cluster.member(cc.nodeId);
        if (existing?.isLearner && cc.type === ConfChangeType.ConfChangeAddNode) {
          this.cluster.promote(cc.nodeId);
        } else if (ctx.member) {
          const m: Member = { ...ctx.member, isLearner: cc.type === ConfChangeType.ConfChangeAddLearnerNode };
          if (existing) m.name ||= existing.name;
          this.cluster.add(m);
          if (m.id !== this.id) this.transport.addPeer(m.id, m.peerUrls);
        }
        break;
      }
      case ConfChangeType.ConfChangeRemoveNode:
        this.cluster.remove(cc.nodeId);
        this.transport.removePeer(cc.nodeId);
        if (cc.nodeId === this.id) this.removedFromCluster();
        break;
      case ConfChangeType.ConfChangeUpdateNode:
        if (ctx.member) {
          this.cluster.updatePeerUrls(cc.nodeId, ctx.member.peerUrls);
          if (cc.nodeId !== this.id) this.transport.addPeer(cc.nodeId, ctx.member.peerUrls);
        }
        break;
    }
    return { changed: true, reqId: ctx.reqId };
  }

  /** Raft snapshot at the applied index; the WAL and the in-memory log before it are released. */
  private async saveSnapshot(): Promise<void> {
    if (this.snapshotting) return;
    this.snapshotting = true;
    try {
      const index = this.appliedIndex;
      // The backend must hold everything up to `index` durably before the WAL lets go of it.
      this.kv.meta.writeNow({ put: [[SNAPSHOT_SYNC_KEY, Buffer.from(String(index))]] }, true);
      const snap = this.rs.storage.createSnapshot(
        index,
        this.confState,
        Buffer.from(JSON.stringify(this.cluster.toJson()), 'utf8'),
      );
      this.rs.snapshotter.save(snap.metadata.term, index, encodeSnapshot(snap));
      await this.rs.wal.saveSnapshot({ index, term: snap.metadata.term });
      const catchUp = this.cfg.snapshotCatchUpEntries;
      if (index > catchUp) this.rs.storage.compact(index - catchUp);
      await this.rs.wal.releaseTo(index);
      this.snapshotIndex = index;
      this.log.info({ index, term: snap.metadata.term }, 'saved snapshot');
    } finally {
      this.snapshotting = false;
    }
  }

  // ---------------------------------------------------------------- leader duties

  private startDuties(): void {
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        if (!this.stopped) fn();
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(500, () => this.leaseDuties());
    every(100, () =>
      this.waiters.expire(Date.now(), () => ({
        err: etcdError(this.lead === 0n ? 'TimeoutDueToLeaderFail' : 'Timeout'),
      })),
    );
    const retention = parseRetention(this.cfg.autoCompactionMode, this.cfg.autoCompactionRetention);
    if (retention > 0) {
      this.compactor = new AutoCompactor(this.cfg.autoCompactionMode, retention, {
        rev: () => this.kv.rev,
        isLeader: () => this.isLeader,
        compact: async (rev) => {
          await this.compact({ revision: rev });
        },
        log: (msg, rev) => this.log.info({ revision: rev, mode: this.cfg.autoCompactionMode }, msg),
      });
      this.compactor.start();
    }
    every(Math.max(200, this.cfg.electionTimeoutMs / 2), () => this.publish());
  }

  private leaseDuties(): void {
    if (!this.isLeader || !this.lessor.isPrimary) return;
    for (const id of this.lessor.expired(500)) {
      this.propose({ leaseRevoke: { ID: toLong(id) } }).then(
        (r) => r.err || this.metrics.leaseExpired.inc(),
        () => {},
      );
    }
    const cps = this.lessor.dueCheckpoints(1000);
    if (cps.length > 0) {
      this.propose({
        leaseCheckpoint: {
          checkpoints: cps.map((c) => ({ ID: toLong(c.id), remaining_TTL: c.remainingTTL })),
        },
      }).catch(() => {});
    }
  }

  // A started member tells the cluster its name and client URLs through raft (etcd's publish).
  private publish(): void {
    if (this.published || this.lead === 0n) return;
    this.published = true;
    this.propose({
      clusterMemberAttrSet: {
        member_ID: toLong(this.id, true),
        memberAttributes: { name: this.cfg.name, clientUrls: this.cfg.advertiseClientUrls },
      },
    }).then(
      (r) => {
        if (r.err) this.published = false;
        else {
          this.publishedDone = true;
          this.log.info(
            { clientUrls: this.cfg.advertiseClientUrls },
            'published local member to cluster through raft',
          );
        }
      },
      () => (this.published = false),
    );
  }

  // ---------------------------------------------------------------- proposals and reads

  /** Proposes a request and resolves with its apply result (errors in `err`), as etcd's processInternalRaftRequest. */
  async propose(
    req: etcdserverpb.InternalRaftRequest.$Properties,
    who?: AuthInfo | null,
  ): Promise<ApplyResult> {
    if (this.stopped) throw etcdError('Stopped');
    const id = this.reqIds.next();
    // Apply checks the proposer's rights as of the auth revision it was authenticated at; the member's
    // own proposals (no `who` given) run as root, as etcd's WithRoot.
    if (who === undefined && this.auth.enabled) who = { username: ROOT, revision: this.auth.revision };
    req.header =
      who == null
        ? { ID: toLong(id, true) }
        : { ID: toLong(id, true), username: who.username, authRevision: who.revision };
    const data = etcdserverpb.InternalRaftRequest.encode(req).finish();
    if (data.length > this.cfg.maxRequestBytes) throw etcdError('RequestTooLarge');
    if (this.lead === 0n) await this.waitLeader();
    // Timed out by the sweep in startDuties().
    const p = this.waiters.register(id, Date.now() + this.requestTimeoutMs, this.term);
    try {
      this.rawNode.propose(data);
    } catch (err) {
      this.waiters.cancel(id);
      this.metrics.proposalsFailed.inc();
      if (err instanceof ErrProposalDropped) throw etcdError(this.lead === 0n ? 'NoLeader' : 'Timeout');
      throw err;
    }
    this.raftNode.kick();
    return p;
  }

  private async proposeOk<T>(
    req: etcdserverpb.InternalRaftRequest.$Properties,
    who?: AuthInfo | null,
  ): Promise<T> {
    const r = await this.propose(req, who);
    if (r.err) throw r.err;
    return r.resp as T;
  }

  /**
   * Waits a few election timeouts for a leader (an election may be under way) before failing with
   * "etcdserver: no leader".
   */
  private async waitLeader(): Promise<void> {
    if (this.lead !== 0n) return;
    const end = Date.now() + Math.min(this.requestTimeoutMs, 3 * this.cfg.electionTimeoutMs);
    while (this.lead === 0n && !this.stopped && Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(50, this.cfg.heartbeatIntervalMs)));
    }
    if (this.stopped) throw etcdError('Stopped');
    if (this.lead === 0n) throw etcdError('NoLeader');
  }

  /** Resolves once the member knows a leader and has published itself to the cluster (etcd's ReadyNotify). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(this.published && this.publishedDone) && !this.stopped) {
      if (Date.now() > end) throw new Error('member did not become ready in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves when a read of local state is linearizable (etcd's linearizableReadNotify). */
  linearizableRead(): Promise<void> {
    return this.reads.wait();
  }

  /**
   * etcd's quota check in front of a put, a txn with puts or a lease grant: while the alarm is on, or
   * when the backend size plus the request's cost reaches the quota, the request fails with NOSPACE;
   * in the second case the alarm is raised first (etcd waits for it too). Free requests always pass.
   */
  private async checkQuota(cost: number): Promise<void> {
    if (cost === 0) return;
    if (this.alarms.noSpace) throw etcdError('NoSpace');
    // RocksDB's size figures are native calls: sample them at most every 100 ms (etcd's Size() is
    // as old as the last backend commit, up to 100 ms too).
    const now = Date.now();
    if (now - this.sizeSampledAt > 100) {
      this.sizeSampledAt = now;
      this.sizeSample = this.backend.sizes().total;
    }
    if (fits(this.sizeSample, cost, quotaBytes(this.cfg.quotaBackendBytes))) return;
    this.log.warn(
      { quotaBytes: this.cfg.quotaBackendBytes, dbSize: this.sizeSample },
      'exceeded backend quota; raising alarm',
    );
    await this.propose({
      alarm: {
        action: etcdserverpb.AlarmRequest.AlarmAction.ACTIVATE,
        memberID: toLong(this.id, true),
        alarm: AlarmType.NOSPACE,
      },
    }).catch(() => {});
    throw etcdError('NoSpace');
  }

  /** etcd's backend Size and SizeInUse (Status dbSize / dbSizeInUse); zeros once stopped. */
  backendSizes(): BackendSizes {
    return this.stopped ? { total: 0, inUse: 0 } : this.backend.sizes();
  }

  // ---------------------------------------------------------------- KV

  async range(
    req: Pb<etcdserverpb.RangeRequest.$Properties>,
    caller?: Caller,
  ): Promise<etcdserverpb.RangeResponse.$Properties> {
    if (this.auth.enabled) return this.rangeAuthorized(req, caller);
    if (caller?.token) await this.authInfo(caller);
    if (!req.serializable) await this.linearizableRead();
    try {
      return rangeRespToPb(this.kv.range(rangeFromPb(req)), this.header());
    } catch (err) {
      throw toEtcdError(err);
    }
  }

  /** Range with auth on (etcd's doSerialize): check, read, and refuse if the rights changed meanwhile. */
  private async rangeAuthorized(
    req: Pb<etcdserverpb.RangeRequest.$Properties>,
    caller: Caller | undefined,
  ): Promise<etcdserverpb.RangeResponse.$Properties> {
    if (!req.serializable) await this.linearizableRead();
    const who = await this.authInfo(caller);
    this.auth.isRangePermitted(who, req.key ?? Buffer.alloc(0), req.rangeEnd);
    let resp: etcdserverpb.RangeResponse.$Properties;
    try {
      resp = rangeRespToPb(this.kv.range(rangeFromPb(req)), this.header());
    } catch (err) {
      throw toEtcdError(err);
    }
    this.checkAuthRevision(who);
    return resp;
  }

  async put(
    req: etcdserverpb.PutRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.PutResponse.$Properties> {
    await this.checkQuota(putCost(req));
    return this.proposeOk({ put: req }, await this.authInfo(caller));
  }

  async deleteRange(
    req: etcdserverpb.DeleteRangeRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.DeleteRangeResponse.$Properties> {
    return this.proposeOk({ deleteRange: req }, await this.authInfo(caller));
  }

  async txn(
    req: etcdserverpb.TxnRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.TxnResponse.$Properties> {
    // etcd's request checks (api/kv-checks.ts) were made by the caller; the store enforces its own rules.
    const plain = txnFromPb(req);
    const who = await this.authInfo(caller);
    if (isReadOnlyTxn(req)) {
      await this.linearizableRead();
      if (this.auth.enabled) checkTxnPermission(this.auth, this.lessor, who, req);
      let resp: etcdserverpb.TxnResponse.$Properties;
      try {
        resp = txnRespToPb(this.kv.txn(plain), this.header());
      } catch (err) {
        throw toEtcdError(err);
      }
      this.checkAuthRevision(who);
      return resp;
    }
    await this.checkQuota(txnCost(req));
    return this.proposeOk({ txn: req }, who);
  }

  async compact(
    req: etcdserverpb.CompactionRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.CompactionResponse.$Properties> {
    const r = await this.propose({ compaction: req }, await this.authInfo(caller));
    if (r.err) throw r.err;
    if (req.physical && r.physical) await r.physical.catch(() => {});
    return r.resp as etcdserverpb.CompactionResponse.$Properties;
  }

  authorize(
    caller: Caller,
    key: Uint8Array,
    rangeEnd: Uint8Array,
    access: Access,
  ): Promise<void> | undefined {
    if (!this.auth.enabled) return undefined;
    // etcd checks a from-key watch ("\0") as the single key; we check the whole range it will see.
    return this.authInfo(caller).then((who) => {
      if (access !== 'write') this.auth.isRangePermitted(who, key, rangeEnd);
      if (access !== 'read') this.auth.isDeleteRangePermitted(who, key, rangeEnd);
    });
  }

  watchStream(sink: WatchSink): ClientWatchStream {
    const a = new WatchAdapter(
      this.kv.newWatchStream(),
      sink,
      (rev) => this.header(rev),
      this.cfg.watchProgressNotifyIntervalMs,
      () => this.kv.rev,
      (closed) => this.watchAdapters.delete(closed),
    );
    this.watchAdapters.add(a);
    return a;
  }

  // ---------------------------------------------------------------- Lease

  async leaseGrant(
    req: etcdserverpb.LeaseGrantRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.LeaseGrantResponse.$Properties> {
    const who = await this.requireAuthInfo(caller);
    const ttl = toNumber(req.TTL);
    if (ttl > MAX_LEASE_TTL) throw etcdError('LeaseTTLTooLarge');
    let id = toInt64(req.ID);
    if (id === 0n) id = this.leaseIds.next();
    await this.checkQuota(LEASE_OVERHEAD);
    return this.proposeOk({ leaseGrant: { ID: toLong(id), TTL: ttl } }, who);
  }

  async leaseRevoke(
    req: etcdserverpb.LeaseRevokeRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.LeaseRevokeResponse.$Properties> {
    return this.proposeOk({ leaseRevoke: { ID: req.ID } }, await this.requireAuthInfo(caller));
  }

  async leaseRenew(
    req: etcdserverpb.LeaseKeepAliveRequest,
    caller?: Caller,
  ): Promise<etcdserverpb.ILeaseKeepAliveResponse> {
    if (this.auth.enabled) {
      // etcd's checkLeaseRenew: renewing needs write rights on every key the lease holds.
      const who = await this.requireAuthInfo(caller);
      checkLeaseKeys(this.auth, this.lessor, who, toInt64(req.ID));
    }
    if (!this.isLeader) {
      const body = await this.forward('LeaseRenew', etcdserverpb.LeaseKeepAliveRequest.encode(req).finish());
      const r = etcdserverpb.LeaseKeepAliveResponse.decode(body);
      return { header: this.header(), ID: r.ID, TTL: r.TTL };
    }
    const id = toInt64(req.ID);
    const ttl = await this.renewLease(id);
    return { header: this.header(), ID: toLong(id), TTL: ttl };
  }

  /**
   * Sends a leader-only request to the leader over the peer stream and returns its answer's bytes; the
   * leader's errors come back as the same EtcdError. Retries while leadership moves.
   */
  private async forward(method: string, body: Uint8Array): Promise<Uint8Array> {
    const end = Date.now() + this.requestTimeoutMs;
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.waitLeader();
      if (this.isLeader) throw etcdError('LeaderChanged');
      const r = await this.transport.call(this.lead, method, body, Math.max(1, end - Date.now()));
      if (!r.error) return r.body;
      const retry = r.error.message === 'etcdserver: not leader' || r.error.message === 'peer unreachable';
      if (!retry || Date.now() >= end) throw new EtcdError(r.error.code as never, r.error.message);
      await new Promise((res) => setTimeout(res, this.cfg.heartbeatIntervalMs));
    }
    throw etcdError('Timeout');
  }

  /** Leader side of forward(). */
  private async serveForwarded(method: string, body: Buffer) {
    try {
      if (!this.isLeader) throw etcdError('NotLeader');
      if (method === 'LeaseRenew') {
        const req = etcdserverpb.LeaseKeepAliveRequest.decode(body);
        const id = toInt64(req.ID);
        const ttl = await this.renewLease(id);
        return { body: etcdserverpb.LeaseKeepAliveResponse.encode({ ID: toLong(id), TTL: ttl }).finish() };
      }
      if (method === 'LeaseTimeToLive') {
        const resp = await this.leaseTimeToLive(etcdserverpb.LeaseTimeToLiveRequest.decode(body));
        return { body: etcdserverpb.LeaseTimeToLiveResponse.encode(resp).finish() };
      }
      if (method === 'MemberPromote') {
        const resp = await this.memberPromote(etcdserverpb.MemberPromoteRequest.decode(body));
        return { body: etcdserverpb.MemberPromoteResponse.encode(resp).finish() };
      }
      throw new Error(`unknown forwarded method ${method}`);
    } catch (err) {
      const e = toEtcdError(err);
      return { error: { code: e instanceof EtcdError ? e.code : 2, message: e.message } };
    }
  }

  /** One keep-alive: the lease's TTL after renewal. Only the leader keeps lease clocks. */
  async renewLease(id: bigint): Promise<number> {
    if (!this.isLeader) throw etcdError(this.lead === 0n ? 'NoLeader' : 'NotLeader');
    // A new leader starts lease clocks once it has applied its first entry: give it that moment.
    const until = Date.now() + this.cfg.electionTimeoutMs;
    while (this.isLeader && !this.lessor.isPrimary && Date.now() < until) {
      await new Promise((r) => setTimeout(r, this.cfg.heartbeatIntervalMs / 2));
    }
    await this.appliedWaiters.wait(this.committedIndex);
    try {
      const r = this.lessor.renew(id);
      if (r.checkpoint) {
        await this.proposeOk({
          leaseCheckpoint: {
            checkpoints: [{ ID: toLong(r.checkpoint.id), remaining_TTL: r.checkpoint.remainingTTL }],
          },
        });
      }
      return r.ttl;
    } catch (err) {
      if ((err as Error).name === 'NotPrimaryError') {
        throw etcdError(this.lead === 0n ? 'NoLeader' : 'NotLeader');
      }
      throw toEtcdError(err);
    }
  }

  async leaseTimeToLive(
    req: etcdserverpb.LeaseTimeToLiveRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.LeaseTimeToLiveResponse.$Properties> {
    const id = toInt64(req.ID);
    if (this.auth.enabled && caller !== undefined) {
      const who = await this.requireAuthInfo(caller);
      if (req.keys && !this.auth.isAdmin(who)) {
        for (const key of this.lessor.keysOf(id)) this.auth.isRangePermitted(who, key, null);
      }
    }
    if (!this.isLeader) {
      const body = await this.forward(
        'LeaseTimeToLive',
        etcdserverpb.LeaseTimeToLiveRequest.encode(req as etcdserverpb.LeaseTimeToLiveRequest).finish(),
      );
      const r = etcdserverpb.LeaseTimeToLiveResponse.decode(body);
      return { header: this.header(), ID: r.ID, TTL: r.TTL, grantedTTL: r.grantedTTL, keys: r.keys };
    }
    await this.appliedWaiters.wait(this.committedIndex);
    try {
      const t = this.lessor.timeToLive(id, req.keys === true);
      return { header: this.header(), ID: toLong(id), TTL: t.ttl, grantedTTL: t.grantedTTL, keys: t.keys };
    } catch (err) {
      // etcd answers an unknown lease with TTL -1 rather than an error.
      if ((err as Error).name === 'LeaseNotFoundError') {
        return { header: this.header(), ID: toLong(id), TTL: -1, grantedTTL: 0, keys: [] };
      }
      if ((err as Error).name === 'NotPrimaryError') throw etcdError('NotLeader');
      throw toEtcdError(err);
    }
  }

  async leaseLeases(
    _req?: etcdserverpb.LeaseLeasesRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.LeaseLeasesResponse.$Properties> {
    if (this.auth.enabled) {
      const who = await this.requireAuthInfo(caller);
      if (!this.auth.isAdmin(who)) {
        for (const id of this.lessor.leases()) {
          for (const key of this.lessor.keysOf(id)) this.auth.isRangePermitted(who, key, null);
        }
      }
    }
    return { header: this.header(), leases: this.lessor.leases().map((id) => ({ ID: toLong(id) })) };
  }

  // ---------------------------------------------------------------- Cluster

  private memberPb(m: Member): etcdserverpb.Member.$Properties {
    return {
      ID: toLong(m.id, true),
      name: m.name,
      peerURLs: m.peerUrls,
      clientURLs: m.clientUrls,
      isLearner: m.isLearner,
    };
  }

  async memberList(): Promise<etcdserverpb.MemberListResponse.$Properties> {
    // etcd's Cluster service answers with cluster, member and term but no revision
    const { revision: _, ...header } = this.header();
    return { header, members: this.cluster.sortedMembers().map((m) => this.memberPb(m)) };
  }

  private async proposeMemberChange(type: ConfChangeType, nodeId: bigint, member: Member | undefined) {
    await this.waitLeader();
    const reqId = this.reqIds.next();
    const p = this.waiters.register(reqId);
    try {
      this.rawNode.proposeConfChange({ type, nodeId, context: encodeChangeContext(member, reqId), id: 0 });
    } catch (err) {
      this.waiters.cancel(reqId);
      if (err instanceof ErrProposalDropped) throw etcdError('Timeout');
      throw err;
    }
    this.raftNode.kick();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      p,
      new Promise<ApplyResult>((resolve) => {
        timer = setTimeout(() => {
          this.waiters.cancel(reqId);
          resolve({ err: etcdError('Timeout') });
        }, this.requestTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (r.err) throw r.err;
  }

  async memberAdd(
    req: etcdserverpb.MemberAddRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.MemberAddResponse.$Properties> {
    const urls = req.peerURLs ?? [];
    if (urls.length === 0) throw etcdError('MemberBadURLs');
    await this.requireMembershipAdmin(caller);
    const m = newMember('', urls, this.cfg.initialClusterToken, Math.floor(Date.now() / 1000));
    m.isLearner = req.isLearner === true;
    wrapMembership(() => this.cluster.validateAdd(m));
    await this.proposeMemberChange(
      m.isLearner ? ConfChangeType.ConfChangeAddLearnerNode : ConfChangeType.ConfChangeAddNode,
      m.id,
      m,
    );
    return { ...(await this.memberList()), member: this.memberPb(m) };
  }

  async memberRemove(
    req: etcdserverpb.MemberRemoveRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.MemberRemoveResponse.$Properties> {
    await this.requireMembershipAdmin(caller);
    const id = toUint64(req.ID);
    wrapMembership(() => this.cluster.validateRemove(id));
    await this.proposeMemberChange(ConfChangeType.ConfChangeRemoveNode, id, undefined);
    return this.memberList();
  }

  async memberUpdate(
    req: etcdserverpb.MemberUpdateRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.MemberUpdateResponse.$Properties> {
    await this.requireMembershipAdmin(caller);
    const id = toUint64(req.ID);
    const urls = req.peerURLs ?? [];
    wrapMembership(() => this.cluster.validateUpdate(id, urls));
    const m = { ...this.cluster.member(id)!, peerUrls: [...urls].sort() };
    await this.proposeMemberChange(ConfChangeType.ConfChangeUpdateNode, id, m);
    return this.memberList();
  }

  async memberPromote(
    req: etcdserverpb.MemberPromoteRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.MemberPromoteResponse.$Properties> {
    await this.requireMembershipAdmin(caller);
    const id = toUint64(req.ID);
    wrapMembership(() => this.cluster.validatePromote(id));
    // Only the leader knows how far the learner's log has come, so a follower lets the leader decide.
    if (!this.isLeader) {
      const body = await this.forward(
        'MemberPromote',
        etcdserverpb.MemberPromoteRequest.encode(req as etcdserverpb.MemberPromoteRequest).finish(),
      );
      return { header: this.header(), members: etcdserverpb.MemberPromoteResponse.decode(body).members };
    }
    const pr = this.rawNode.status().progress;
    const leaderMatch = pr.get(this.id)?.match ?? 0;
    const match = pr.get(id)?.match ?? 0;
    if (match < leaderMatch * 0.9) throw etcdError('LearnerNotReady');
    const m = { ...this.cluster.member(id)!, isLearner: false };
    await this.proposeMemberChange(ConfChangeType.ConfChangeAddNode, id, m);
    this.metrics.learnerPromoteSuccesses.inc();
    return this.memberList();
  }

  // ---------------------------------------------------------------- Maintenance

  async status(): Promise<etcdserverpb.StatusResponse.$Properties> {
    const size = this.backendSizes();
    const errors: string[] = [];
    if (this.lead === 0n) errors.push(etcdError('NoLeader').message);
    // etcd prints each AlarmMember in protobuf text form
    for (const a of this.alarms.list())
      errors.push(`memberID:${toUint64(a.memberID)} alarm:${etcdserverpb.AlarmType[a.alarm ?? 0]} `);
    return {
      header: this.header(),
      version: SERVER_VERSION,
      dbSize: size.total,
      leader: toLong(this.lead, true),
      raftIndex: this.committedIndex,
      raftTerm: this.term,
      raftAppliedIndex: this.appliedIndex,
      errors,
      dbSizeInUse: size.inUse,
      isLearner: this.cluster.member(this.id)?.isLearner === true,
    };
  }

  async hashKV(
    req: etcdserverpb.HashKVRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.HashKVResponse.$Properties> {
    await this.requireAdmin(caller);
    try {
      const t0 = performance.now();
      const h = this.kv.hashKV(toNumber(req.revision));
      this.metrics.hashRev.observe((performance.now() - t0) / 1000);
      // etcd's store starts with compact revision -1 (never compacted), and HashKV reports that
      return {
        header: this.header(),
        hash: h.hash,
        compactRevision: h.compactRevision > 0 ? h.compactRevision : -1,
      };
    } catch (err) {
      throw toEtcdError(err);
    }
  }

  async hash(
    _req?: etcdserverpb.HashRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.HashResponse.$Properties> {
    await this.requireAdmin(caller);
    const t0 = performance.now();
    const h = this.kv.hashKV(0);
    this.metrics.hash.observe((performance.now() - t0) / 1000);
    return { header: this.header(), hash: h.hash };
  }

  async alarm(req: etcdserverpb.AlarmRequest.$Properties): Promise<etcdserverpb.AlarmResponse.$Properties> {
    // etcd answers Alarm without a response header (etcdctl alarm list -w json prints {})
    if ((req.action ?? 0) === etcdserverpb.AlarmRequest.AlarmAction.GET) {
      return { alarms: this.alarms.list() };
    }
    const { header: _, ...resp } = await this.proposeOk<etcdserverpb.AlarmResponse.$Properties>({
      alarm: req,
    });
    return resp;
  }

  /**
   * etcd's Defragment, on this member only: the backend is rewritten without its deleted rows, so
   * the size the quota compares shrinks. Unlike etcd (which holds its backend locks meanwhile),
   * reads and writes go on during the copy; see Backend.defragment.
   */
  async defragment(
    _req?: etcdserverpb.DefragmentRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.DefragmentResponse.$Properties> {
    await this.requireAdmin(caller);
    if (this.stopped) throw etcdError('Stopped');
    this.log.info({ dbSize: this.backend.sizes().total }, 'starting defragment');
    this.metrics.defragInflight.set(1);
    const t0 = performance.now();
    try {
      const r = await this.backend.defragment();
      this.metrics.backendDefrag.observe((performance.now() - t0) / 1000);
      this.log.info({ before: r.before, after: r.after, rows: r.rows, tookMs: r.ms }, 'finished defragment');
    } catch (err) {
      this.log.warn({ err: String(err) }, 'failed to defragment');
      throw err;
    } finally {
      this.metrics.defragInflight.set(0);
      // the quota compares the new size from the next request on
      this.sizeSampledAt = 0;
    }
    return { header: this.header() };
  }

  async moveLeader(
    req: etcdserverpb.MoveLeaderRequest.$Properties,
  ): Promise<etcdserverpb.MoveLeaderResponse.$Properties> {
    const target = toUint64(req.targetID);
    if (!this.isLeader) throw etcdError('NotLeader');
    const m = this.cluster.member(target);
    if (!m || m.isLearner) throw etcdError('BadLeaderTransferee');
    this.rawNode.transferLeader(target);
    this.raftNode.kick();
    const end = Date.now() + this.requestTimeoutMs;
    while (Date.now() < end) {
      if (this.lead === target) return { header: this.header() };
      await new Promise((r) => setTimeout(r, 20));
      // Raft gives a transfer up after an election timeout (e.g. the target lagged on a loaded machine);
      // the request still has time, so ask again rather than wait out the deadline.
      if (this.isLeader && this.rawNode.basicStatus().leadTransferee === 0n && this.lead !== target) {
        this.rawNode.transferLeader(target);
        this.raftNode.kick();
      }
    }
    throw etcdError('Timeout');
  }

  /** A consistent copy of the whole backend as etcd's bbolt backend file, with etcd's trailing sha256. */
  snapshot(
    _req: etcdserverpb.SnapshotRequest.$Properties = {},
    caller?: Caller,
  ): AsyncIterable<etcdserverpb.ISnapshotResponse> {
    const chunks = () =>
      timedStream(
        snapshotChunks(
          this.paths.snapDir,
          (path) => writeBackendBolt(this.backend, path, { clusterVersion: CLUSTER_VERSION }),
          () => this.header(),
        ),
        this.metrics.backendSnapshot,
      );
    return this.auth.enabled ? this.adminOnly(caller, chunks) : chunks();
  }

  private async *adminOnly<T>(caller: Caller | undefined, inner: () => AsyncIterable<T>): AsyncIterable<T> {
    await this.requireAdmin(caller);
    yield* inner();
  }

  // ---------------------------------------------------------------- Auth

  /**
   * etcd's AuthInfoFromCtx: the user the caller's token names (waiting, bounded, for this member to apply
   * the entry that assigned it), else the client certificate's common name with --client-cert-auth, else
   * null. A token this member does not know is "invalid auth token", with auth on or off.
   */
  private async authInfo(caller: Caller | undefined): Promise<AuthInfo | null> {
    // etcd reads a presented token even while auth is off; disabling auth dropped every token, so such
    // a token is "invalid auth token" (below), and no token means nobody.
    if (!this.auth.enabled && !caller?.token) return null;
    // No caller: the member itself (health check, embedding code, lease expiry), as etcd's WithRoot.
    if (caller === undefined) return { username: ROOT, revision: this.auth.revision };
    const token = caller.token;
    if (token === undefined || token === '') {
      if (!this.cfg.clientCertAuth) return null;
      const cn = caller.commonName();
      return cn === undefined ? null : { username: cn, revision: this.auth.revision };
    }
    const index = this.tokens.indexNeeded(token);
    if (index < 0) throw etcdError('InvalidAuthToken');
    const end = Date.now() + this.requestTimeoutMs;
    while (index > this.appliedIndex && !this.stopped && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const who = this.auth.tokenInfo(token);
    if (who === undefined) throw etcdError('InvalidAuthToken');
    return who;
  }

  /** With auth on, the caller must be some user (etcd's requireAuthInfo). */
  private async requireAuthInfo(caller: Caller | undefined): Promise<AuthInfo | null> {
    if (!this.auth.enabled) return this.authInfo(caller);
    const who = await this.authInfo(caller);
    if (who === null) throw etcdError('UserEmpty');
    return who;
  }

  /**
   * With auth on, only a root-role user may change membership (etcd's checkMembershipOperationPermission);
   * unlike the maintenance calls below, the auth error reaches the client converted (PermissionDenied).
   */
  private async requireMembershipAdmin(caller: Caller | undefined): Promise<void> {
    if (!this.auth.enabled) return;
    this.auth.isAdminPermitted(await this.authInfo(caller));
  }

  /**
   * With auth on, the caller must have the root role (Hash, HashKV, Defragment, Snapshot). etcd 3.4's
   * maintenance server returns the auth store's own error here, unconverted, so clients see gRPC code
   * Unknown with "auth: ..." text; we answer the same.
   */
  private async requireAdmin(caller: Caller | undefined): Promise<void> {
    if (!this.auth.enabled) return;
    try {
      this.auth.isAdminPermitted(await this.authInfo(caller));
    } catch (err) {
      const raw = RAW_AUTH_ERRORS.get((err as Error).message);
      throw raw === undefined ? err : new Error(raw);
    }
  }

  /** A read checked at one auth revision is refused if the rights changed before it was answered. */
  private checkAuthRevision(who: AuthInfo | null): void {
    if (who !== null && who.revision < this.auth.revision) throw etcdError('AuthOldRevision');
  }

  /** Proposes an auth request as the caller; apply checks the caller's rights. */
  private async authRequest<T>(
    req: etcdserverpb.InternalRaftRequest.$Properties,
    caller?: Caller,
  ): Promise<T> {
    return this.proposeOk<T>(req, await this.authInfo(caller));
  }

  authEnable(_req: unknown, caller?: Caller): Promise<etcdserverpb.AuthEnableResponse.$Properties> {
    return this.authRequest({ authEnable: {} }, caller);
  }

  authDisable(_req: unknown, caller?: Caller): Promise<etcdserverpb.AuthDisableResponse.$Properties> {
    return this.authRequest({ authDisable: {} }, caller);
  }

  authStatus(_req: unknown, caller?: Caller): Promise<etcdserverpb.AuthStatusResponse.$Properties> {
    return this.authRequest({ authStatus: {} }, caller);
  }

  /**
   * etcd's Authenticate: the password is checked here, off the event loop, then the token's random part
   * is proposed and every member assigns the token when it applies the entry. If users changed while
   * the password was being checked, it is checked again.
   */
  async authenticate(
    req: etcdserverpb.AuthenticateRequest.$Properties,
  ): Promise<etcdserverpb.AuthenticateResponse.$Properties> {
    await this.linearizableRead();
    for (let attempt = 0; attempt < 5; attempt++) {
      const checked = await this.auth.checkPassword(req.name ?? '', req.password ?? '', verifyPassword);
      const resp = await this.proposeOk<etcdserverpb.AuthenticateResponse.$Properties>({
        authenticate: { name: req.name ?? '', simpleToken: this.tokens.prefix() },
      });
      if (checked === this.auth.revision) return resp;
    }
    throw etcdError('AuthOldRevision');
  }

  async userAdd(
    req: etcdserverpb.AuthUserAddRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.AuthUserAddResponse.$Properties> {
    const noPassword = req.options?.noPassword === true;
    // Only the hash enters the raft log (etcd 3.5's hashedPassword); the plain password never leaves here.
    const hashed = noPassword ? '' : await hashPassword(req.password ?? '');
    return this.authRequest(
      { authUserAdd: { name: req.name ?? '', hashedPassword: hashed, options: { noPassword } } },
      caller,
    );
  }

  async userChangePassword(
    req: etcdserverpb.AuthUserChangePasswordRequest.$Properties,
    caller?: Caller,
  ): Promise<etcdserverpb.AuthUserChangePasswordResponse.$Properties> {
    const hashed = await hashPassword(req.password ?? '');
    return this.authRequest(
      { authUserChangePassword: { name: req.name ?? '', hashedPassword: hashed } },
      caller,
    );
  }

  userGet(req: etcdserverpb.AuthUserGetRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthUserGetResponse.$Properties>({ authUserGet: req }, caller);
  }

  userList(_req: unknown, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthUserListResponse.$Properties>({ authUserList: {} }, caller);
  }

  userDelete(req: etcdserverpb.AuthUserDeleteRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthUserDeleteResponse.$Properties>({ authUserDelete: req }, caller);
  }

  userGrantRole(req: etcdserverpb.AuthUserGrantRoleRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthUserGrantRoleResponse.$Properties>(
      { authUserGrantRole: req },
      caller,
    );
  }

  userRevokeRole(req: etcdserverpb.AuthUserRevokeRoleRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthUserRevokeRoleResponse.$Properties>(
      { authUserRevokeRole: req },
      caller,
    );
  }

  roleAdd(req: etcdserverpb.AuthRoleAddRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleAddResponse.$Properties>({ authRoleAdd: req }, caller);
  }

  roleGet(req: etcdserverpb.AuthRoleGetRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleGetResponse.$Properties>({ authRoleGet: req }, caller);
  }

  roleList(_req: unknown, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleListResponse.$Properties>({ authRoleList: {} }, caller);
  }

  roleDelete(req: etcdserverpb.AuthRoleDeleteRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleDeleteResponse.$Properties>({ authRoleDelete: req }, caller);
  }

  roleGrantPermission(req: etcdserverpb.AuthRoleGrantPermissionRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleGrantPermissionResponse.$Properties>(
      { authRoleGrantPermission: req },
      caller,
    );
  }

  roleRevokePermission(req: etcdserverpb.AuthRoleRevokePermissionRequest.$Properties, caller?: Caller) {
    return this.authRequest<etcdserverpb.AuthRoleRevokePermissionResponse.$Properties>(
      { authRoleRevokePermission: req },
      caller,
    );
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stops raft, the transport and the duties, fails pending requests, and closes the WAL and the store. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this.stopped = true;
      for (const t of this.timers) clearInterval(t);
      this.compactor?.stop();
      await this.raftNode.stop();
      const stopped = etcdError('Stopped');
      this.reads.close(stopped);
      this.waiters.failAll(stopped);
      await this.transport.close();
      await this.rs.wal.close().catch(() => {});
      await this.kv.close();
      this.log.info('member stopped');
      this.markDone();
    })();
    return this.closing;
  }
}

/**
 * A new member of a running cluster (--initial-cluster-state existing) learns its ID and the cluster's from
 * the members it was told about, as etcd does: it must be there already (added with MemberAdd).
 */
async function fetchExistingCluster(
  cfg: EtcdConfig,
  initial: RaftCluster,
  peerTls: PeerTls | undefined,
): Promise<RaftCluster> {
  const own = new Set(cfg.initialAdvertisePeerUrls);
  const urls = [...initial.members.values()].flatMap((m) => m.peerUrls).filter((u) => !own.has(u));
  const errors: string[] = [];
  for (const url of urls) {
    try {
      const json = JSON.parse(await fetchClusterInfo(url, 2000, peerTls)) as ClusterJson;
      const c = new RaftCluster(0n, 0n);
      c.restore(json);
      const want = [...cfg.initialAdvertisePeerUrls].sort().join(',');
      const me = [...c.members.values()].find((m) => [...m.peerUrls].sort().join(',') === want);
      if (!me) {
        throw new ConfigError(
          `error validating peerURLs: member with peer URLs ${want} is not in the existing cluster (add it with MemberAdd first)`,
          1,
        );
      }
      const out = new RaftCluster(c.clusterId, me.id);
      out.restore(json);
      return out;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      errors.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new ConfigError(
    `cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs (${errors.join('; ')})`,
    1,
  );
}

function wrapMembership(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof MembershipError) {
      if (err.errorName === 'IDRemoved') throw etcdError('MemberNotFound');
      throw etcdError(err.errorName);
    }
    throw err;
  }
}

function isReadOnlyTxn(t: etcdserverpb.TxnRequest.$Properties): boolean {
  for (const op of [...(t.success ?? []), ...(t.failure ?? [])]) {
    if (op.requestPut || op.requestDeleteRange) return false;
    if (op.requestTxn && !isReadOnlyTxn(op.requestTxn)) return false;
  }
  return true;
}

// The contract between the client-facing front end (gRPC, JSON gateway, lock/election) and the core
// (raft, WAL, apply, mvcc, lease). The core's EtcdServer implements EtcdServerApi; the front end only
// decodes requests, calls these methods and encodes what they return.
//
// Conventions:
// - Requests are the decoded api-proto message classes (64-bit fields arrive as Long or number; convert
//   with api-proto's toNumber/toInt64/toUint64). Responses are plain api-proto property objects; 64-bit
//   fields may be number, Long or string (protobufjs encodes any of them).
// - Every response carries `header` ({clusterId, memberId, revision, raftTerm}) filled by the core.
// - Failures are thrown (or rejected) as EtcdError from ./errors with etcd's code and text, e.g.
//   etcdError('LeaseNotFound'), etcdError('Compacted'), etcdError('NoLeader'), etcdError('RequestTooLarge').
//   Anything else reaches the client as UNKNOWN with its message.
// - Linearizable reads (RangeRequest.serializable = false) are the core's business (ReadIndex);
//   followers forward writes to the leader inside the core. The front end never retries.
import type { etcdserverpb, mvccpb } from '@kv/api-proto';

type P<T> = Promise<T>;

/**
 * Who sent a request, as the front end saw it (the gRPC call or gateway request object itself implements
 * this, so passing it costs nothing). The core only looks at it while auth is enabled.
 */
export interface Caller {
  /** The auth token: gRPC metadata `token`, or the gateway's `Authorization` header; undefined if none. */
  readonly token: string | undefined;
  /** The common name of the verified client certificate (TLS with --client-cert-auth), if any. */
  commonName(): string | undefined;
}

export type Access = 'read' | 'write' | 'readwrite';

export interface EtcdServerApi {
  // --- KV ---
  range(req: etcdserverpb.RangeRequest, caller?: Caller): P<etcdserverpb.IRangeResponse>;
  put(req: etcdserverpb.PutRequest, caller?: Caller): P<etcdserverpb.IPutResponse>;
  deleteRange(req: etcdserverpb.DeleteRangeRequest, caller?: Caller): P<etcdserverpb.IDeleteRangeResponse>;
  txn(req: etcdserverpb.TxnRequest, caller?: Caller): P<etcdserverpb.ITxnResponse>;
  compact(req: etcdserverpb.CompactionRequest, caller?: Caller): P<etcdserverpb.ICompactionResponse>;

  // --- Lease ---
  leaseGrant(req: etcdserverpb.LeaseGrantRequest, caller?: Caller): P<etcdserverpb.ILeaseGrantResponse>;
  leaseRevoke(req: etcdserverpb.LeaseRevokeRequest, caller?: Caller): P<etcdserverpb.ILeaseRevokeResponse>;
  /**
   * One keep-alive: renews the lease on the leader (a follower forwards it) and returns {header, ID, TTL}
   * with the TTL the lease was renewed to. Throws LeaseNotFound for an unknown lease (the front end
   * then answers TTL 0, as etcd's keep-alive stream does).
   */
  leaseRenew(
    req: etcdserverpb.LeaseKeepAliveRequest,
    caller?: Caller,
  ): P<etcdserverpb.ILeaseKeepAliveResponse>;
  leaseTimeToLive(
    req: etcdserverpb.LeaseTimeToLiveRequest,
    caller?: Caller,
  ): P<etcdserverpb.ILeaseTimeToLiveResponse>;
  leaseLeases(req: etcdserverpb.LeaseLeasesRequest, caller?: Caller): P<etcdserverpb.ILeaseLeasesResponse>;

  // --- Watch ---
  /**
   * Opens the watch state of one client Watch stream (etcd's mvcc WatchStream). The front end calls it once
   * per gRPC Watch call and `close()`s it when the call ends; events flow to `sink`.
   */
  watchStream(sink: WatchSink): WatchStream;
  /**
   * May `caller` read and/or write [key, rangeEnd) (empty rangeEnd: the key; "\0": from key on)? For the
   * front end's own compositions (watch create, Lock, Election). undefined when auth is off (no wait);
   * otherwise a promise rejecting with the EtcdError etcd answers.
   */
  authorize(caller: Caller, key: Uint8Array, rangeEnd: Uint8Array, access: Access): P<void> | undefined;

  // --- Cluster ---
  memberList(req: etcdserverpb.MemberListRequest): P<etcdserverpb.IMemberListResponse>;
  memberAdd(req: etcdserverpb.MemberAddRequest, caller?: Caller): P<etcdserverpb.IMemberAddResponse>;
  memberRemove(req: etcdserverpb.MemberRemoveRequest, caller?: Caller): P<etcdserverpb.IMemberRemoveResponse>;
  memberUpdate(req: etcdserverpb.MemberUpdateRequest, caller?: Caller): P<etcdserverpb.IMemberUpdateResponse>;
  memberPromote(
    req: etcdserverpb.MemberPromoteRequest,
    caller?: Caller,
  ): P<etcdserverpb.IMemberPromoteResponse>;

  // --- Maintenance ---
  status(req: etcdserverpb.StatusRequest): P<etcdserverpb.IStatusResponse>;
  hash(req: etcdserverpb.HashRequest, caller?: Caller): P<etcdserverpb.IHashResponse>;
  hashKV(req: etcdserverpb.HashKVRequest, caller?: Caller): P<etcdserverpb.IHashKVResponse>;
  /**
   * The backend as a stream of chunks (etcd sends 32 KiB blobs with remaining_bytes counting down, and the
   * last chunk carries the sha256 of everything before it). The front end stops iterating (calls
   * `return()`) when the client goes away.
   */
  snapshot(req: etcdserverpb.SnapshotRequest, caller?: Caller): AsyncIterable<etcdserverpb.ISnapshotResponse>;
  defragment(req: etcdserverpb.DefragmentRequest, caller?: Caller): P<etcdserverpb.IDefragmentResponse>;
  alarm(req: etcdserverpb.AlarmRequest): P<etcdserverpb.IAlarmResponse>;
  moveLeader(req: etcdserverpb.MoveLeaderRequest): P<etcdserverpb.IMoveLeaderResponse>;

  // --- Auth (user and role management needs the root role once auth is enabled) ---
  authEnable(req: etcdserverpb.AuthEnableRequest, caller?: Caller): P<etcdserverpb.IAuthEnableResponse>;
  authDisable(req: etcdserverpb.AuthDisableRequest, caller?: Caller): P<etcdserverpb.IAuthDisableResponse>;
  authStatus(req: etcdserverpb.AuthStatusRequest, caller?: Caller): P<etcdserverpb.IAuthStatusResponse>;
  /** Checks the password on this member, then proposes; the token is assigned when the entry applies. */
  authenticate(req: etcdserverpb.AuthenticateRequest): P<etcdserverpb.IAuthenticateResponse>;
  userAdd(req: etcdserverpb.AuthUserAddRequest, caller?: Caller): P<etcdserverpb.IAuthUserAddResponse>;
  userGet(req: etcdserverpb.AuthUserGetRequest, caller?: Caller): P<etcdserverpb.IAuthUserGetResponse>;
  userList(req: etcdserverpb.AuthUserListRequest, caller?: Caller): P<etcdserverpb.IAuthUserListResponse>;
  userDelete(
    req: etcdserverpb.AuthUserDeleteRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthUserDeleteResponse>;
  userChangePassword(
    req: etcdserverpb.AuthUserChangePasswordRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthUserChangePasswordResponse>;
  userGrantRole(
    req: etcdserverpb.AuthUserGrantRoleRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthUserGrantRoleResponse>;
  userRevokeRole(
    req: etcdserverpb.AuthUserRevokeRoleRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthUserRevokeRoleResponse>;
  roleAdd(req: etcdserverpb.AuthRoleAddRequest, caller?: Caller): P<etcdserverpb.IAuthRoleAddResponse>;
  roleGet(req: etcdserverpb.AuthRoleGetRequest, caller?: Caller): P<etcdserverpb.IAuthRoleGetResponse>;
  roleList(req: etcdserverpb.AuthRoleListRequest, caller?: Caller): P<etcdserverpb.IAuthRoleListResponse>;
  roleDelete(
    req: etcdserverpb.AuthRoleDeleteRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthRoleDeleteResponse>;
  roleGrantPermission(
    req: etcdserverpb.AuthRoleGrantPermissionRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthRoleGrantPermissionResponse>;
  roleRevokePermission(
    req: etcdserverpb.AuthRoleRevokePermissionRequest,
    caller?: Caller,
  ): P<etcdserverpb.IAuthRoleRevokePermissionResponse>;

  // --- What the front end needs to build its own answers ---
  /** A response header at the current revision (for watch create/cancel/progress and lock/election). */
  header(): etcdserverpb.IResponseHeader;
  /** The current leader's member ID, 0n when there is none (GET /health answers false then). */
  leader(): bigint;
}

/** What a Watch create request asks for, with 64-bit fields already converted. */
export interface WatchCreate {
  /** 0 = let the stream allocate one (etcd allocates 0, 1, 2, ... per stream). */
  watchId: number;
  key: Uint8Array;
  /** Empty = the single key; [0] = every key >= key; else the half-open range [key, rangeEnd). */
  rangeEnd: Uint8Array;
  /** 0 = from the next revision; otherwise replay history from this revision. */
  startRevision: number;
  prevKv: boolean;
  /** etcd's filters: drop PUT events, drop DELETE events. */
  noPut: boolean;
  noDelete: boolean;
  /** Send an empty progress response (onProgress) periodically while the watcher is idle and synced. */
  progressNotify: boolean;
}

/** The core's side of one Watch stream. */
export interface WatchStream {
  /**
   * Registers a watcher and returns its ID. Throws an Error whose message becomes the create response's
   * cancel_reason (e.g. a watch ID already in use on this stream). The core must not call the sink for
   * this watcher before `watch()` returns (the front end sends the `created` response first).
   * A start revision below the compacted one is not an error here: report it with `onCompacted`.
   */
  watch(req: WatchCreate): number;
  /** Removes a watcher; false when the ID is unknown on this stream. No sink call follows for it. */
  cancel(watchId: number): boolean;
  /**
   * etcd's RequestProgress: as soon as every watcher of this stream is synced, call
   * `sink.onProgress(-1, header)` once with the current revision (a no-op answer if no watcher exists).
   */
  requestProgress(): void;
  /** Drops every watcher of the stream (client gone). */
  close(): void;
}

/** Where the core delivers watch output for one stream. Calls for one watcher come in revision order. */
export interface WatchSink {
  /**
   * Events for one watcher, in revision order, already filtered (and with prevKv when asked).
   * `header.revision` is the store revision the batch was read at (etcd: the header of the response).
   * The front end splits batches that are too large when the watcher asked for fragments.
   */
  onEvents(watchId: number, events: mvccpb.IEvent[], header: etcdserverpb.IResponseHeader): void;
  /**
   * The watcher's start revision is below the compacted revision: the front end answers
   * {compact_revision, canceled: true} and the core drops the watcher.
   */
  onCompacted(watchId: number, compactRevision: number, header: etcdserverpb.IResponseHeader): void;
  /** A progress notification: an empty response for `watchId` (-1 = answer to requestProgress). */
  onProgress(watchId: number, header: etcdserverpb.IResponseHeader): void;
}

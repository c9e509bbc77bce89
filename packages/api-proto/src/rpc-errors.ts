import { GrpcCode } from './grpc-code.js';

/**
 * The errors etcd's gRPC API returns, with etcd 3.5's status codes and exact messages. Clients recognise
 * them by message text (etcd's own client does), so a server must send these strings unchanged.
 */
export const etcdErrors = {
  EmptyKey: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: key is not provided' },
  KeyNotFound: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: key not found' },
  ValueProvided: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: value is provided' },
  LeaseProvided: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: lease is provided' },
  TooManyOps: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: too many operations in txn request' },
  DuplicateKey: {
    code: GrpcCode.INVALID_ARGUMENT,
    message: 'etcdserver: duplicate key given in txn request',
  },
  Compacted: {
    code: GrpcCode.OUT_OF_RANGE,
    message: 'etcdserver: mvcc: required revision has been compacted',
  },
  FutureRev: {
    code: GrpcCode.OUT_OF_RANGE,
    message: 'etcdserver: mvcc: required revision is a future revision',
  },
  NoSpace: { code: GrpcCode.RESOURCE_EXHAUSTED, message: 'etcdserver: mvcc: database space exceeded' },
  LeaseNotFound: { code: GrpcCode.NOT_FOUND, message: 'etcdserver: requested lease not found' },
  LeaseExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: lease already exists' },
  LeaseTTLTooLarge: { code: GrpcCode.OUT_OF_RANGE, message: 'etcdserver: too large lease TTL' },
  WatchCanceled: { code: GrpcCode.CANCELLED, message: 'etcdserver: watch canceled' },
  MemberExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: member ID already exist' },
  PeerURLExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: Peer URLs already exists' },
  MemberNotEnoughStarted: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: re-configuration failed due to not enough started members',
  },
  MemberBadURLs: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: given member URLs are invalid' },
  MemberNotFound: { code: GrpcCode.NOT_FOUND, message: 'etcdserver: member not found' },
  MemberNotLearner: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: can only promote a learner member',
  },
  LearnerNotReady: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: can only promote a learner member which is in sync with leader',
  },
  TooManyLearners: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: too many learner members in cluster',
  },
  ClusterIdMismatch: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: cluster ID mismatch' },
  RequestTooLarge: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: request is too large' },
  RequestTooManyRequests: { code: GrpcCode.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' },
  RootUserNotExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: root user does not exist' },
  RootRoleNotExist: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: root user does not have root role',
  },
  UserAlreadyExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: user name already exists' },
  UserEmpty: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: user name is empty' },
  UserNotFound: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: user name not found' },
  RoleAlreadyExist: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: role name already exists' },
  RoleNotFound: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: role name not found' },
  RoleEmpty: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: role name is empty' },
  AuthFailed: {
    code: GrpcCode.INVALID_ARGUMENT,
    message: 'etcdserver: authentication failed, invalid user ID or password',
  },
  PermissionNotGiven: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: permission not given' },
  PermissionDenied: { code: GrpcCode.PERMISSION_DENIED, message: 'etcdserver: permission denied' },
  RoleNotGranted: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: role is not granted to the user',
  },
  PermissionNotGranted: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: permission is not granted to the role',
  },
  AuthNotEnabled: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: authentication is not enabled',
  },
  InvalidAuthToken: { code: GrpcCode.UNAUTHENTICATED, message: 'etcdserver: invalid auth token' },
  InvalidAuthMgmt: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: invalid auth management' },
  AuthOldRevision: { code: GrpcCode.INVALID_ARGUMENT, message: 'etcdserver: revision of auth store is old' },
  NoLeader: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: no leader' },
  NotLeader: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: not leader' },
  LeaderChanged: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: leader changed' },
  NotCapable: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: not capable' },
  Stopped: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: server stopped' },
  Timeout: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: request timed out' },
  TimeoutDueToLeaderFail: {
    code: GrpcCode.UNAVAILABLE,
    message: 'etcdserver: request timed out, possibly due to previous leader failure',
  },
  TimeoutDueToConnectionLost: {
    code: GrpcCode.UNAVAILABLE,
    message: 'etcdserver: request timed out, possibly due to connection lost',
  },
  TimeoutWaitAppliedIndex: {
    code: GrpcCode.UNAVAILABLE,
    message: 'etcdserver: request timed out, waiting for the applied index took too long',
  },
  Unhealthy: { code: GrpcCode.UNAVAILABLE, message: 'etcdserver: unhealthy cluster' },
  Corrupt: { code: GrpcCode.DATA_LOSS, message: 'etcdserver: corrupt cluster' },
  BadLeaderTransferee: { code: GrpcCode.FAILED_PRECONDITION, message: 'etcdserver: bad leader transferee' },
  ClusterVersionUnavailable: {
    code: GrpcCode.UNAVAILABLE,
    message: 'etcdserver: cluster version not found during downgrade',
  },
  WrongDowngradeVersionFormat: {
    code: GrpcCode.INVALID_ARGUMENT,
    message: 'etcdserver: wrong downgrade target version format',
  },
  InvalidDowngradeTargetVersion: {
    code: GrpcCode.INVALID_ARGUMENT,
    message: 'etcdserver: invalid downgrade target version',
  },
  DowngradeInProcess: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: cluster has a downgrade job in progress',
  },
  NoInflightDowngrade: {
    code: GrpcCode.FAILED_PRECONDITION,
    message: 'etcdserver: no inflight downgrade job',
  },
  Canceled: { code: GrpcCode.CANCELLED, message: 'etcdserver: request canceled' },
  DeadlineExceeded: { code: GrpcCode.DEADLINE_EXCEEDED, message: 'etcdserver: context deadline exceeded' },
  NotSupportedForLearner: {
    code: GrpcCode.UNAVAILABLE,
    message: 'etcdserver: rpc not supported for learner',
  },
} as const satisfies Record<string, { code: number; message: string }>;

export type EtcdErrorName = keyof typeof etcdErrors;

const byMessage = new Map<string, EtcdErrorName>(
  Object.entries(etcdErrors).map(([name, e]) => [e.message, name as EtcdErrorName]),
);

/** Which etcd error a status message is, if any (for clients turning gRPC errors into typed ones). */
export function etcdErrorName(message: string): EtcdErrorName | undefined {
  return byMessage.get(message);
}

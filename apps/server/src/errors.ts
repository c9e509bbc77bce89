// The errors the server returns to clients. Stock clients (etcdctl, clientv3, etcd3) match on the exact
// gRPC code and message text, so both are etcd's (api/v3rpc/rpctypes/error.go, etcd 3.4/3.5).

import { GrpcCode } from '@kv/api-proto';

export { GrpcCode };

/** An error with a gRPC status: thrown by the core and the handlers, sent to the client as grpc-status/grpc-message. */
export class EtcdError extends Error {
  readonly code: GrpcCode;
  constructor(code: GrpcCode, message: string) {
    super(message);
    this.name = 'EtcdError';
    this.code = code;
  }
}

const C = GrpcCode;
/** Every etcd server error, by its rpctypes name without the ErrGRPC prefix. Throw `etcdError('LeaseNotFound')`. */
export const ETCD_ERRORS = {
  EmptyKey: [C.INVALID_ARGUMENT, 'etcdserver: key is not provided'],
  KeyNotFound: [C.INVALID_ARGUMENT, 'etcdserver: key not found'],
  ValueProvided: [C.INVALID_ARGUMENT, 'etcdserver: value is provided'],
  LeaseProvided: [C.INVALID_ARGUMENT, 'etcdserver: lease is provided'],
  TooManyOps: [C.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'],
  DuplicateKey: [C.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'],
  Compacted: [C.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
  FutureRev: [C.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'],
  NoSpace: [C.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'],

  LeaseNotFound: [C.NOT_FOUND, 'etcdserver: requested lease not found'],
  LeaseExist: [C.FAILED_PRECONDITION, 'etcdserver: lease already exists'],
  LeaseTTLTooLarge: [C.OUT_OF_RANGE, 'etcdserver: too large lease TTL'],

  WatchCanceled: [C.CANCELLED, 'etcdserver: watch canceled'],

  MemberExist: [C.FAILED_PRECONDITION, 'etcdserver: member ID already exist'],
  PeerURLExist: [C.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'],
  MemberNotEnoughStarted: [
    C.FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ],
  MemberBadURLs: [C.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'],
  MemberNotFound: [C.NOT_FOUND, 'etcdserver: member not found'],
  MemberNotLearner: [C.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'],
  LearnerNotReady: [
    C.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ],
  TooManyLearners: [C.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'],

  RequestTooLarge: [C.INVALID_ARGUMENT, 'etcdserver: request is too large'],
  RequestTooManyRequests: [C.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],

  RootUserNotExist: [C.FAILED_PRECONDITION, 'etcdserver: root user does not exist'],
  RootRoleNotExist: [C.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'],
  UserAlreadyExist: [C.FAILED_PRECONDITION, 'etcdserver: user name already exists'],
  UserEmpty: [C.INVALID_ARGUMENT, 'etcdserver: user name is empty'],
  UserNotFound: [C.FAILED_PRECONDITION, 'etcdserver: user name not found'],
  RoleAlreadyExist: [C.FAILED_PRECONDITION, 'etcdserver: role name already exists'],
  RoleNotFound: [C.FAILED_PRECONDITION, 'etcdserver: role name not found'],
  RoleEmpty: [C.INVALID_ARGUMENT, 'etcdserver: role name is empty'],
  AuthFailed: [C.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'],
  PermissionDenied: [C.PERMISSION_DENIED, 'etcdserver: permission denied'],
  RoleNotGranted: [C.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'],
  PermissionNotGranted: [C.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'],
  AuthNotEnabled: [C.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'],
  InvalidAuthToken: [C.UNAUTHENTICATED, 'etcdserver: invalid auth token'],
  InvalidAuthMgmt: [C.INVALID_ARGUMENT, 'etcdserver: invalid auth management'],

  NoLeader: [C.UNAVAILABLE, 'etcdserver: no leader'],
  NotLeader: [C.FAILED_PRECONDITION, 'etcdserver: not leader'],
  LeaderChanged: [C.UNAVAILABLE, 'etcdserver: leader changed'],
  NotCapable: [C.UNAVAILABLE, 'etcdserver: not capable'],
  Stopped: [C.UNAVAILABLE, 'etcdserver: server stopped'],
  Timeout: [C.UNAVAILABLE, 'etcdserver: request timed out'],
  TimeoutDueToLeaderFail: [
    C.UNAVAILABLE,
    'etcdserver: request timed out, possibly due to previous leader failure',
  ],
  TimeoutDueToConnectionLost: [
    C.UNAVAILABLE,
    'etcdserver: request timed out, possibly due to connection lost',
  ],
  Unhealthy: [C.UNAVAILABLE, 'etcdserver: unhealthy cluster'],
  Corrupt: [C.DATA_LOSS, 'etcdserver: corrupt cluster'],
  NotSupportedForLearner: [C.UNAVAILABLE, 'etcdserver: rpc not supported for learner'],
  BadLeaderTransferee: [C.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'],

  Canceled: [C.CANCELLED, 'etcdserver: request canceled'],
  DeadlineExceeded: [C.DEADLINE_EXCEEDED, 'etcdserver: context deadline exceeded'],
} as const satisfies Record<string, readonly [GrpcCode, string]>;
export type EtcdErrorName = keyof typeof ETCD_ERRORS;

/** A fresh EtcdError for one of etcd's named errors. */
export function etcdError(name: EtcdErrorName): EtcdError {
  const [code, message] = ETCD_ERRORS[name];
  return new EtcdError(code, message);
}

/** Is `err` etcd's named error? (compares code and text, as clientv3 does) */
export function isEtcdError(err: unknown, name: EtcdErrorName): boolean {
  const [code, message] = ETCD_ERRORS[name];
  return err instanceof EtcdError && err.code === code && err.message === message;
}

/**
 * The status a thrown value is sent as. EtcdErrors keep theirs; anything else is UNKNOWN with its
 * message, which is what grpc-go sends for a plain Go error returned by a handler.
 */
export function toStatus(err: unknown): { code: GrpcCode; message: string } {
  if (err instanceof EtcdError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: GrpcCode.UNKNOWN, message: err.message };
  return { code: GrpcCode.UNKNOWN, message: String(err) };
}

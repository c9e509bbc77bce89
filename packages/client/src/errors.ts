// Typed errors. Every failure of an RPC surfaces as an EtcdError (or a subclass picked from etcd's
// error text), so callers can branch with instanceof instead of matching strings.
import { status as Status } from '@grpc/grpc-js';
import { etcdErrors } from '@kv/api-proto';

/** Any error returned by an etcd member or by the transport. `code` is the gRPC status code. */
export class EtcdError extends Error {
  override name = 'EtcdError';
  /** gRPC status code (see `@grpc/grpc-js` `status`). */
  readonly code: number;
  /** The server's error text, e.g. `etcdserver: no leader`. */
  readonly details: string;
  /** Endpoint that produced the error, when known. */
  endpoint?: string;
  constructor(code: number, details: string, options?: { cause?: unknown }) {
    super(details || Status[code] || 'unknown error', options);
    this.code = code;
    this.details = details;
  }
}

/** The member has no raft leader (`etcdserver: no leader`); the request was not executed. */
export class NoLeaderError extends EtcdError {
  override name = 'NoLeaderError';
}
/** Leadership changed during a linearizable read (`etcdserver: leader changed`). */
export class LeaderChangedError extends EtcdError {
  override name = 'LeaderChangedError';
}
/** The endpoint could not be reached, or the connection dropped. */
export class UnavailableError extends EtcdError {
  override name = 'UnavailableError';
}
/** The call's deadline (`timeout` option) passed. */
export class DeadlineExceededError extends EtcdError {
  override name = 'DeadlineExceededError';
}
/** The auth token is not (or no longer) valid; the client re-authenticates and retries once on its own. */
export class InvalidAuthTokenError extends EtcdError {
  override name = 'InvalidAuthTokenError';
}
/** Wrong user name or password. */
export class AuthFailedError extends EtcdError {
  override name = 'AuthFailedError';
}
/** The authenticated user lacks the permission for this request. */
export class PermissionDeniedError extends EtcdError {
  override name = 'PermissionDeniedError';
}
/** The lease does not exist (expired or revoked). */
export class LeaseNotFoundError extends EtcdError {
  override name = 'LeaseNotFoundError';
}
/** A read or watch asked for a revision newer than the store's. */
export class FutureRevisionError extends EtcdError {
  override name = 'FutureRevisionError';
}

/**
 * The requested revision has been compacted away. From a watch this carries the compact revision:
 * the oldest revision still available, from which a new watch may start.
 */
export class CompactedError extends EtcdError {
  override name = 'CompactedError';
  /** Revision the store is compacted to (0 when the server did not say, as on a range read). */
  readonly compactRevision: number;
  constructor(compactRevision: number, details = 'mvcc: required revision has been compacted') {
    super(Status.OUT_OF_RANGE, details);
    this.compactRevision = compactRevision;
  }
}

/** A watcher was cancelled by the server for a reason other than compaction. */
export class WatchCanceledError extends EtcdError {
  override name = 'WatchCanceledError';
}

/** The client (or the object the call belongs to) has been closed. */
export class ClientClosedError extends Error {
  override name = 'ClientClosedError';
  constructor(what = 'client') {
    super(`${what} is closed`);
  }
}

type EtcdErrorName = keyof typeof etcdErrors;
// The texts come from the same table the server answers from, so a renamed message cannot drift apart.
const byName: Array<[EtcdErrorName[], new (code: number, details: string) => EtcdError]> = [
  [['NoLeader'], NoLeaderError],
  [['LeaderChanged'], LeaderChangedError],
  // An old auth revision is cured the same way: authenticate again and retry.
  [['InvalidAuthToken', 'AuthOldRevision'], InvalidAuthTokenError],
  [['AuthFailed'], AuthFailedError],
  [['PermissionDenied'], PermissionDeniedError],
  [['LeaseNotFound'], LeaseNotFoundError],
  [['FutureRev'], FutureRevisionError],
];
// Matched without the `etcdserver: ` prefix: mvcc errors reach clients with and without it.
const bare = (name: EtcdErrorName) => etcdErrors[name].message.replace(/^etcdserver: (?=mvcc:)/, '');
const byText = byName.map(([names, cls]) => [names.map(bare), cls] as const);
const compactedText = bare('Compacted');
// Members refuse these before proposing anything. ('server stopped' is not one: a stopping member may
// already have proposed the request.)
const refusedTexts = (['NotCapable', 'Unhealthy'] as const).map(bare);
// Covers the longer 'possibly due to ...' variants, which start with the same words.
const timeoutText = bare('Timeout');

/** Turns a grpc-js ServiceError (or anything thrown) into the most specific EtcdError. */
export function toEtcdError(err: unknown, endpoint?: string): Error {
  if (err instanceof EtcdError || err instanceof ClientClosedError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code !== 'number') return err instanceof Error ? err : new Error(String(err));
  const details = typeof e.details === 'string' ? e.details : String(e.message ?? '');
  let out: EtcdError;
  const match = byText.find(([texts]) => texts.some((t) => details.includes(t)));
  if (match) out = new match[1](e.code, details);
  else if (details.includes(compactedText)) out = new CompactedError(0, details);
  else if (e.code === Status.UNAVAILABLE) out = new UnavailableError(e.code, details);
  else if (e.code === Status.DEADLINE_EXCEEDED) out = new DeadlineExceededError(e.code, details);
  else out = new EtcdError(e.code, details);
  out.endpoint = endpoint;
  return out;
}

/**
 * True when the server certainly did not execute the request, so repeating it cannot apply a write
 * twice: the member refused it for lack of a leader, or the transport never got it onto a connection.
 */
export function isNotExecuted(err: Error): boolean {
  if (err instanceof NoLeaderError) return true;
  if (err instanceof UnavailableError) {
    return (
      /No connection established|ECONNREFUSED|connect ECONN|Connection refused/i.test(err.details) ||
      refusedTexts.some((t) => err.details.includes(t))
    );
  }
  return false;
}

/** True when another attempt, possibly on another member, may succeed. */
export function isTransient(err: Error): boolean {
  return (
    err instanceof UnavailableError ||
    err instanceof NoLeaderError ||
    err instanceof LeaderChangedError ||
    (err instanceof EtcdError && err.details.includes(timeoutText))
  );
}

/** A kept-alive lease is gone: it expired, was revoked elsewhere, or could not be renewed before its TTL ran out. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(
    /** The lost lease. */
    readonly leaseId: bigint,
    /** `expired`: a member said the lease no longer exists; `timeout`: no renewal reached a member in time. */
    readonly reason: 'expired' | 'timeout',
    options?: { cause?: unknown },
  ) {
    super(`lease ${leaseId.toString(16)} lost (${reason})`, options);
  }
}

// Errors carry etcd's client-visible texts (rpctypes), so the server can pass `message` straight through.

/** The lease ID is unknown (never granted, revoked, or expired on the leader). */
export class LeaseNotFoundError extends Error {
  override readonly name = 'LeaseNotFoundError';
  constructor() {
    super('etcdserver: requested lease not found');
  }
}

/** grant() with an ID that is already in use. */
export class LeaseExistsError extends Error {
  override readonly name = 'LeaseExistsError';
  constructor() {
    super('etcdserver: lease already exists');
  }
}

/** grant() with a TTL above MAX_LEASE_TTL. */
export class LeaseTTLTooLargeError extends Error {
  override readonly name = 'LeaseTTLTooLargeError';
  constructor() {
    super('etcdserver: too large lease TTL');
  }
}

/**
 * A leader-only operation (renew, timeToLive) reached a member that is not the primary lessor. The server
 * forwards the request to the leader or answers "etcdserver: not leader".
 */
export class NotPrimaryError extends Error {
  override readonly name = 'NotPrimaryError';
  constructor() {
    super('lease: not a primary lessor');
  }
}

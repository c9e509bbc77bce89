// @kv/lease: TTL leases as etcd has them, driven by a server's apply loop.
export { LeaseExistsError, LeaseNotFoundError, LeaseTTLTooLargeError, NotPrimaryError } from './errors.js';
export { LeaseIdGenerator } from './id-generator.js';
export { LeaseLoop, type LeaseLoopOptions } from './lease-loop.js';
export {
  type GrantResult,
  type LeaseCheckpoint,
  type LeasedKey,
  Lessor,
  type LessorObserver,
  type LessorOptions,
  MAX_LEASE_TTL,
  type RenewResult,
  type RevokeResult,
  type TimeToLive,
} from './lessor.js';
export {
  decodeLeaseKey,
  decodeLeaseRecord,
  encodeLeaseKey,
  encodeLeaseRecord,
  type LeaseRecord,
  type LeaseRecordChange,
} from './record.js';

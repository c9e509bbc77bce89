// etcd 3.4's backend quota (etcdserver/quota.go): a put, a txn with puts or a lease grant is refused
// with NOSPACE when the backend's size plus the request's estimated cost reaches the quota. Requests
// that cost nothing (deletes, read-only or delete-only txns, compaction) always pass.
import type { etcdserverpb } from '@kv/api-proto';
import { DEFAULT_QUOTA_BACKEND_BYTES } from '../config/config.js';

/** etcd's estimates of what storing a key's metadata and a lease costs. */
const KV_OVERHEAD = 256;
export const LEASE_OVERHEAD = 64;

/** --quota-backend-bytes as etcd reads it: 0 = the 2 GiB default, negative = no quota. */
export function quotaBytes(configured: number): number {
  if (configured < 0) return Number.POSITIVE_INFINITY;
  return configured === 0 ? DEFAULT_QUOTA_BACKEND_BYTES : configured;
}

export function putCost(req: etcdserverpb.PutRequest.$Properties): number {
  return KV_OVERHEAD + (req.key?.length ?? 0) + (req.value?.length ?? 0);
}

/** The costlier branch's puts (puts inside nested txns count nothing, as in etcd). */
export function txnCost(req: etcdserverpb.TxnRequest.$Properties): number {
  const branch = (ops: etcdserverpb.RequestOp.$Properties[] | null | undefined) =>
    (ops ?? []).reduce((sum, op) => sum + (op.requestPut ? putCost(op.requestPut) : 0), 0);
  return Math.max(branch(req.success), branch(req.failure));
}

/** Whether a request of this cost fits: etcd's `Size() + cost < quota`. */
export function fits(size: number, cost: number, quota: number): boolean {
  return cost === 0 || size + cost < quota;
}

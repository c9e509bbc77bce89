// The request checks etcd's gRPC layer makes before a KV request reaches the server (v3rpc/key.go):
// empty keys, ignore_value/ignore_lease misuse, too many txn operations, and a txn writing a key twice.
// They are made here only (the JSON gateway and the lock service come through here too).
import type { etcdserverpb } from '@kv/api-proto';
import { checkTxnIntervals, ErrDuplicateKey } from '@kv/mvcc';
import { txnFromPb } from '../apply/pb-convert';
import { EtcdError, etcdError, GrpcCode } from '../errors';

export interface KvLimits {
  /** --max-txn-ops (etcd default 128). */
  maxTxnOps: number;
}

function isZero(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return v === 0;
  const l = v as { low: number; high: number };
  return l.low === 0 && l.high === 0;
}

export function checkRange(r: etcdserverpb.IRangeRequest): void {
  if (!r.key || r.key.length === 0) throw etcdError('EmptyKey');
  // etcd 3.4 ignores an unknown sort_order (nothing is sorted) but panics on an unknown sort_target,
  // dropping the connection; etcd 3.5's error is the answer a client can use.
  const target = r.sortTarget ?? 0;
  if (target < 0 || target > 4) {
    throw new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: invalid sort option');
  }
}

export function checkPut(r: etcdserverpb.IPutRequest): void {
  if (!r.key || r.key.length === 0) throw etcdError('EmptyKey');
  if (r.ignoreValue && r.value && r.value.length !== 0) throw etcdError('ValueProvided');
  if (r.ignoreLease && !isZero(r.lease)) throw etcdError('LeaseProvided');
}

export function checkDelete(r: etcdserverpb.IDeleteRangeRequest): void {
  if (!r.key || r.key.length === 0) throw etcdError('EmptyKey');
}

/**
 * etcd's order: every operation's own checks first (too many operations, empty keys, empty operations,
 * through nested txns), and only then the rule that a branch writes no key twice, which is the store's
 * (checkTxnIntervals): one rule, checked here so that its error comes after the others, as in etcd.
 */
export function checkTxn(r: etcdserverpb.ITxnRequest, limits: KvLimits): void {
  checkTxnRequest(r, limits.maxTxnOps);
  try {
    checkTxnIntervals(txnFromPb(r));
  } catch (err) {
    if (err instanceof ErrDuplicateKey) throw etcdError('DuplicateKey');
    throw err;
  }
}

/** A nested txn gets what its parent's widest list left of the budget (etcd: maxTxnOps - opc). */
function checkTxnRequest(r: etcdserverpb.ITxnRequest, maxTxnOps: number): void {
  const cmp = r.compare ?? [];
  const succ = r.success ?? [];
  const fail = r.failure ?? [];
  const opc = Math.max(cmp.length, succ.length, fail.length);
  if (opc > maxTxnOps) throw etcdError('TooManyOps');
  for (const c of cmp) if (!c.key || c.key.length === 0) throw etcdError('EmptyKey');
  for (const op of succ) checkOp(op, maxTxnOps - opc);
  for (const op of fail) checkOp(op, maxTxnOps - opc);
}

function checkOp(op: etcdserverpb.IRequestOp, budget: number): void {
  if (op.requestRange) checkRange(op.requestRange);
  else if (op.requestPut) checkPut(op.requestPut);
  else if (op.requestDeleteRange) checkDelete(op.requestDeleteRange);
  else if (op.requestTxn) checkTxnRequest(op.requestTxn, budget);
  // An operation with no request set: etcd answers "key not found".
  else throw etcdError('KeyNotFound');
}

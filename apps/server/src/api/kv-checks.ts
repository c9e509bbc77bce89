// The request checks etcd's gRPC layer makes before a KV request reaches the server (v3rpc/key.go):
// empty keys, ignore_value/ignore_lease misuse, too many txn operations, and a txn writing a key twice.
import type { etcdserverpb } from '@kv/api-proto';
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
  const order = r.sortOrder ?? 0;
  const target = r.sortTarget ?? 0;
  if (order < 0 || order > 2 || target < 0 || target > 4) {
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

export function checkTxn(r: etcdserverpb.ITxnRequest, limits: KvLimits): void {
  const cmp = r.compare ?? [];
  const succ = r.success ?? [];
  const fail = r.failure ?? [];
  if (cmp.length > limits.maxTxnOps || succ.length > limits.maxTxnOps || fail.length > limits.maxTxnOps) {
    throw etcdError('TooManyOps');
  }
  for (const c of cmp) if (!c.key || c.key.length === 0) throw etcdError('EmptyKey');
  for (const op of succ) checkOp(op, limits);
  for (const op of fail) checkOp(op, limits);
  checkIntervals(succ);
  checkIntervals(fail);
}

function checkOp(op: etcdserverpb.IRequestOp, limits: KvLimits): void {
  if (op.requestRange) checkRange(op.requestRange);
  else if (op.requestPut) checkPut(op.requestPut);
  else if (op.requestDeleteRange) checkDelete(op.requestDeleteRange);
  else if (op.requestTxn) checkTxn(op.requestTxn, limits);
}

/** A deleted interval [start, end) over raw key bytes; end null = unbounded, single-key when `single`. */
interface Interval {
  start: Buffer;
  end: Buffer | null;
}

function deleteInterval(d: etcdserverpb.IDeleteRangeRequest): Interval {
  const key = Buffer.from(d.key ?? []);
  const re = d.rangeEnd;
  if (!re || re.length === 0) return { start: key, end: Buffer.concat([key, Buffer.from([0])]) };
  if (re.length === 1 && re[0] === 0) return { start: key, end: null };
  return { start: key, end: Buffer.from(re) };
}

function covers(dels: Interval[], key: Buffer): boolean {
  for (const iv of dels) {
    if (Buffer.compare(key, iv.start) >= 0 && (iv.end === null || Buffer.compare(key, iv.end) < 0))
      return true;
  }
  return false;
}

/**
 * etcd's rule: within one branch, no key is put twice and no put key lies in a deleted range, counting
 * nested txns (whose then/else branches may overlap each other, as only one of them runs).
 */
function checkIntervals(ops: etcdserverpb.IRequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) if (op.requestDeleteRange) dels.push(deleteInterval(op.requestDeleteRange));
  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.requestTxn;
    if (!t) continue;
    const then = checkIntervals(t.success ?? []);
    const other = checkIntervals(t.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || covers(dels, Buffer.from(k, 'latin1'))) throw etcdError('DuplicateKey');
      puts.add(k);
    }
    for (const k of other.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw etcdError('DuplicateKey');
      if (covers(dels, Buffer.from(k, 'latin1'))) throw etcdError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...other.dels);
  }
  for (const op of ops) {
    const p = op.requestPut;
    if (!p) continue;
    const key = Buffer.from(p.key ?? []);
    const k = key.toString('latin1');
    if (puts.has(k) || covers(dels, key)) throw etcdError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

// etcd's KV request semantics on top of the store's transactions: range filters and sorting,
// put with ignore_value/ignore_lease/prev_kv, delete with prev_kv, and txn (compares, branches,
// nested txns, one revision for the whole txn).
import { ErrCompacted, ErrDuplicateKey, ErrFutureRev, ErrKeyNotFound } from './errors';
import type { KeyValue } from './key-value';
import type { TxnRead, TxnWrite } from './kv-txn';
import {
  type ApplyChecks,
  type Compare,
  CompareResult,
  CompareTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseOp,
  SortOrder,
  SortTarget,
  type TxnRequest,
  type TxnResponse,
} from './request';

const EMPTY = Buffer.alloc(0);

export function applyRange(txn: TxnRead, r: RangeRequest): RangeResponse {
  const filtered =
    (r.sortOrder ?? 0) !== SortOrder.NONE ||
    (r.minModRevision ?? 0) !== 0 ||
    (r.maxModRevision ?? 0) !== 0 ||
    (r.minCreateRevision ?? 0) !== 0 ||
    (r.maxCreateRevision ?? 0) !== 0;
  const reqLimit = r.limit ?? 0;
  // filters and sorting need every key; otherwise one extra key tells whether there is `more`
  const limit = filtered || reqLimit <= 0 ? 0 : reqLimit + 1;
  const rr = txn.range(r.key, r.rangeEnd, { limit, rev: r.revision ?? 0, countOnly: r.countOnly === true });
  let kvs = rr.kvs;
  const maxMod = r.maxModRevision ?? 0;
  const minMod = r.minModRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  if (maxMod !== 0) kvs = kvs.filter((kv) => kv.modRevision <= maxMod);
  if (minMod !== 0) kvs = kvs.filter((kv) => kv.modRevision >= minMod);
  if (maxCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision <= maxCreate);
  if (minCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision >= minCreate);
  let order = r.sortOrder ?? SortOrder.NONE;
  const target = r.sortTarget ?? SortTarget.KEY;
  if (target !== SortTarget.KEY && order === SortOrder.NONE) order = SortOrder.ASCEND;
  // An order that is neither ASCEND nor DESCEND sorts nothing (etcd 3.4 accepts it and leaves the keys be).
  if (order === SortOrder.ASCEND || order === SortOrder.DESCEND) {
    const cmp = sorter(target);
    // the index yields keys in ascending order already
    if (!(target === SortTarget.KEY && order === SortOrder.ASCEND)) {
      kvs = kvs === rr.kvs ? kvs.slice() : kvs;
      if (order === SortOrder.DESCEND) kvs.sort((a, b) => cmp(b, a));
      else kvs.sort(cmp);
    }
  }
  let more = false;
  if (reqLimit > 0 && kvs.length > reqLimit) {
    kvs = kvs.slice(0, reqLimit);
    more = true;
  }
  if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { kvs, count: rr.count, more, revision: rr.rev };
}

function sorter(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case SortTarget.VERSION:
      return (a, b) => a.version - b.version;
    case SortTarget.CREATE:
      return (a, b) => a.createRevision - b.createRevision;
    case SortTarget.MOD:
      return (a, b) => a.modRevision - b.modRevision;
    case SortTarget.VALUE:
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return (a, b) => Buffer.compare(a.key, b.key);
  }
}

/** The key's current key-value as the write transaction sees it. */
function current(txn: TxnRead, key: Uint8Array): KeyValue | undefined {
  return txn.range(key, undefined, {}).kvs[0];
}

/**
 * etcd's order differs by where the put is: alone, an unknown lease is refused before the key is looked
 * up; inside a txn (its checkRequestPut), a missing key for ignore_value/ignore_lease is reported first.
 */
function checkPut(txn: TxnRead, p: PutRequest, checks: ApplyChecks | undefined, inTxn: boolean): void {
  const lease = p.lease ?? 0n;
  const checkLease = () => {
    if (lease !== 0n && checks?.checkLease) {
      const err = checks.checkLease(lease);
      if (err) throw err;
    }
  };
  if (!inTxn) checkLease();
  if (p.ignoreValue || p.ignoreLease) {
    if (current(txn, p.key) === undefined) throw new ErrKeyNotFound();
  }
  if (inTxn) checkLease();
}

/** `checked`: the txn already ran checkPut before writing anything (so nothing throws midway). */
export function applyPut(txn: TxnWrite, p: PutRequest, checks?: ApplyChecks, checked = false): PutResponse {
  if (!checked) checkPut(txn, p, checks, false);
  let prev: KeyValue | undefined;
  if (p.ignoreValue || p.ignoreLease || p.prevKv) prev = current(txn, p.key);
  const value = p.ignoreValue ? (prev?.value ?? EMPTY) : (p.value ?? EMPTY);
  const lease = p.ignoreLease ? (prev?.lease ?? 0n) : (p.lease ?? 0n);
  const revision = txn.put(p.key, value, lease);
  const resp: PutResponse = { revision };
  if (p.prevKv && prev !== undefined) resp.prevKv = prev;
  return resp;
}

export function applyDeleteRange(txn: TxnWrite, d: DeleteRangeRequest): DeleteRangeResponse {
  const prevKvs = d.prevKv ? txn.range(d.key, d.rangeEnd, {}).kvs : [];
  const { deleted, rev } = txn.deleteRange(d.key, d.rangeEnd);
  return { revision: rev, deleted, prevKvs };
}

export function isTxnReadOnly(t: TxnRequest): boolean {
  for (const ops of [t.success ?? [], t.failure ?? []])
    for (const op of ops) {
      if ('range' in op) continue;
      if ('txn' in op && isTxnReadOnly(op.txn)) continue;
      return false;
    }
  return true;
}

function compareValue(c: Compare, kv: KeyValue | undefined): boolean {
  let diff: number;
  switch (c.target) {
    case CompareTarget.VALUE:
      diff = Buffer.compare(kv?.value ?? EMPTY, c.value ?? EMPTY);
      break;
    case CompareTarget.CREATE:
      diff = (kv?.createRevision ?? 0) - (c.createRevision ?? 0);
      break;
    case CompareTarget.MOD:
      diff = (kv?.modRevision ?? 0) - (c.modRevision ?? 0);
      break;
    case CompareTarget.LEASE: {
      const a = kv?.lease ?? 0n;
      const b = c.lease ?? 0n;
      diff = a === b ? 0 : a < b ? -1 : 1;
      break;
    }
    default:
      diff = (kv?.version ?? 0) - (c.version ?? 0);
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return diff === 0;
    case CompareResult.GREATER:
      return diff > 0;
    case CompareResult.LESS:
      return diff < 0;
    case CompareResult.NOT_EQUAL:
      return diff !== 0;
    default:
      return false;
  }
}

/** One compare over its key or range: every key in the range must satisfy it. */
export function applyCompare(txn: TxnRead, c: Compare): boolean {
  const kvs = txn.range(c.key, c.rangeEnd, {}).kvs;
  // a missing key has no value to compare; other targets compare against zero values
  if (kvs.length === 0) return c.target === CompareTarget.VALUE ? false : compareValue(c, undefined);
  for (const kv of kvs) if (!compareValue(c, kv)) return false;
  return true;
}

/** Evaluates every compare on the chosen path before anything is written (etcd's order). */
function choosePath(txn: TxnRead, t: TxnRequest, path: boolean[]): RequestOp[] {
  const ok = (t.compare ?? []).every((c) => applyCompare(txn, c));
  path.push(ok);
  const ops = (ok ? t.success : t.failure) ?? [];
  for (const op of ops) if ('txn' in op) choosePath(txn, op.txn, path);
  return ops;
}

function pathOps(t: TxnRequest, path: boolean[], at: { i: number }, out: RequestOp[]): void {
  const ops = (path[at.i++] ? t.success : t.failure) ?? [];
  for (const op of ops) {
    if ('txn' in op) pathOps(op.txn, path, at, out);
    else out.push(op);
  }
}

function checkRanges(txn: TxnRead, ops: RequestOp[], compactRev: number): void {
  for (const op of ops) {
    if (!('range' in op)) continue;
    const rev = op.range.revision ?? 0;
    if (rev === 0) continue;
    if (rev > txn.rev()) throw new ErrFutureRev();
    // etcd compares with its first readable revision, -1 until something is compacted, so a negative
    // revision reads the current one until then (as a plain range always does).
    if (rev < (compactRev > 0 ? compactRev : -1)) throw new ErrCompacted(compactRev);
  }
}

/**
 * Runs a txn. `read` evaluates the compares; `write` (only for txns that may write) is opened
 * lazily once the checks pass, so a txn that fails its checks changes nothing.
 */
export function applyTxn(
  read: TxnRead,
  openWrite: (() => TxnWrite) | undefined,
  t: TxnRequest,
  compactRev: number,
  checks?: ApplyChecks,
): { resp: TxnResponse; txn: TxnRead } {
  checkTxnIntervals(t);
  const path: boolean[] = [];
  choosePath(read, t, path);
  const ops: RequestOp[] = [];
  pathOps(t, path, { i: 0 }, ops);
  if (openWrite) for (const op of ops) if ('put' in op) checkPut(read, op.put, checks, true);
  checkRanges(read, ops, compactRev);
  const txn = openWrite ? openWrite() : read;
  const resp = runPath(txn, t, path, { i: 0 }, checks);
  resp.revision = txn.rev();
  return { resp, txn };
}

function runPath(
  txn: TxnRead,
  t: TxnRequest,
  path: boolean[],
  at: { i: number },
  checks?: ApplyChecks,
): TxnResponse {
  const succeeded = path[at.i++];
  const ops = (succeeded ? t.success : t.failure) ?? [];
  const responses: ResponseOp[] = [];
  for (const op of ops) {
    if ('range' in op) responses.push({ range: applyRange(txn, op.range) });
    else if ('put' in op) responses.push({ put: applyPut(txn as TxnWrite, op.put, checks, true) });
    else if ('deleteRange' in op)
      responses.push({ deleteRange: applyDeleteRange(txn as TxnWrite, op.deleteRange) });
    else {
      // etcd 3.4 leaves a nested txn's header empty (revision 0): only the outermost one is filled.
      responses.push({ txn: runPath(txn, op.txn, path, at, checks) });
    }
  }
  return { succeeded, responses, revision: 0 };
}

// --- etcd's rule that a txn branch may not write a key twice -------------------------------

interface Interval {
  begin: string;
  /** undefined: the single key `begin` */
  end: string | undefined;
}

function intersectsPoint(dels: Interval[], k: string): boolean {
  for (const d of dels) {
    if (d.end === undefined) {
      if (d.begin === k) return true;
    } else if (d.begin <= k && k < d.end) return true;
  }
  return false;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    if (!('deleteRange' in op)) continue;
    const d = op.deleteRange;
    // the end is compared as plain bytes, so "\0" (every key >= key) covers nothing here, as in etcd
    dels.push({
      begin: latin1(d.key),
      end: d.rangeEnd && d.rangeEnd.length > 0 ? latin1(d.rangeEnd) : undefined,
    });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (!('txn' in op)) continue;
    const then = checkIntervals(op.txn.success ?? []);
    const otherwise = checkIntervals(op.txn.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || intersectsPoint(dels, k)) throw new ErrDuplicateKey();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      // then and else are exclusive: the same key in both is fine
      if (puts.has(k) && !then.puts.has(k)) throw new ErrDuplicateKey();
      if (intersectsPoint(dels, k)) throw new ErrDuplicateKey();
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (!('put' in op)) continue;
    const k = latin1(op.put.key);
    if (puts.has(k) || intersectsPoint(dels, k)) throw new ErrDuplicateKey();
    puts.add(k);
  }
  return { puts, dels };
}

/** Throws ErrDuplicateKey when a branch of `t` writes a key twice (a put twice, or a put inside a deleted range). */
export function checkTxnIntervals(t: TxnRequest): void {
  checkIntervals(t.success ?? []);
  checkIntervals(t.failure ?? []);
}

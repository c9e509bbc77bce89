import type { Area, State, UnaryOp } from './engine';
import { bytes, type Gen, genKey, genRangeEnd, genValue } from './gen';
import { genDelete, genLease, genPut, genRange, kvOp } from './kv-area';

// Compare.CompareTarget and CompareResult numbers (rpc.proto).
const TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;

function genCompare(g: Gen, s: State): Record<string, unknown> {
  const key = genKey(g, 0.02);
  const target = g.int(TARGETS.length);
  const c: Record<string, unknown> = { key: bytes(key), target, result: g.int(4) };
  if (g.chance(0.2)) {
    const end = genRangeEnd(g, key);
    if (end) c.rangeEnd = bytes(end);
  }
  switch (TARGETS[target]) {
    case 'VERSION':
      c.version = BigInt(g.int(4));
      break;
    case 'CREATE':
      c.createRevision = BigInt(g.int(s.revision + 2));
      break;
    case 'MOD':
      c.modRevision = BigInt(g.int(s.revision + 2));
      break;
    case 'VALUE':
      c.value = bytes(g.chance(0.3) ? '' : genValue(g));
      break;
    case 'LEASE':
      c.lease = genLease(g, s);
      break;
  }
  return c;
}

/** Ops of one branch; at most `depth` more levels of nested txns. */
function genOps(g: Gen, s: State, depth: number): Record<string, unknown>[] {
  const n = g.weighted<number>([
    [2, 0],
    [6, 1 + g.int(3)],
    [2, 4 + g.int(6)],
    [0.3, 15 + g.int(4)],
  ]);
  const ops: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    ops.push(
      g.weighted<() => Record<string, unknown>>([
        [3, () => ({ requestPut: genPut(g, s) })],
        [3, () => ({ requestRange: genRange(g, s) })],
        [2, () => ({ requestDeleteRange: genDelete(g) })],
        [depth > 0 ? 1 : 0, () => ({ requestTxn: genTxnOnce(g, s, depth - 1) })],
      ])(),
    );
  }
  return ops;
}

/** Whether any branch at any depth deletes. */
function deletes(t: Record<string, unknown>): boolean {
  return [...(t.success as Record<string, unknown>[]), ...(t.failure as Record<string, unknown>[])].some(
    (op) =>
      op.requestDeleteRange !== undefined || (op.requestTxn !== undefined && deletes(op.requestTxn as never)),
  );
}

/** Drops ignore_value/ignore_lease from every put of the txn (keeping a value), at any depth. */
function plainPuts(t: Record<string, unknown>): void {
  for (const op of [
    ...(t.success as Record<string, unknown>[]),
    ...(t.failure as Record<string, unknown>[]),
  ]) {
    const p = op.requestPut as Record<string, unknown> | undefined;
    if (p) {
      delete p.ignoreValue;
      delete p.ignoreLease;
      p.value ??= Buffer.from('v');
    }
    if (op.requestTxn) plainPuts(op.requestTxn as never);
  }
}

export function genTxn(g: Gen, s: State, depth = 2): Record<string, unknown> {
  const t = genTxnOnce(g, s, depth);
  // etcd 3.4 checks ignore_value/ignore_lease puts against the store before the txn runs, then panics
  // (the member dies) when an earlier delete of the same txn removed the key. Not sent, so both live.
  if (deletes(t)) plainPuts(t);
  return t;
}

function genTxnOnce(g: Gen, s: State, depth: number): Record<string, unknown> {
  const ncmp = g.weighted<number>([
    [2, 0],
    [6, 1 + g.int(3)],
    [0.2, 15 + g.int(4)],
  ]);
  return {
    compare: Array.from({ length: ncmp }, () => genCompare(g, s)),
    success: genOps(g, s, depth),
    failure: genOps(g, s, depth),
  };
}

/**
 * Txns: nested txns, every compare target and result, compare ranges, duplicate keys (put twice, put
 * inside a deleted range, across nested branches), empty keys, more than --max-txn-ops operations.
 * Plain puts/deletes between them give the compares something to match.
 */
export const txnArea: Area = {
  name: 'txn',
  next: (g, s): UnaryOp =>
    g.chance(0.4) ? kvOp(g, s) : { kind: 'unary', service: 'KV', method: 'Txn', req: genTxn(g, s) },
};

import type { Area, State, UnaryOp } from './engine';
import { bytes, type Gen, genKey, genRangeEnd, genValue } from './gen';

/** A revision to read at: current, past, compacted, future, or (rarely) negative. */
export function genRevision(g: Gen, s: State): bigint {
  return BigInt(
    g.weighted<number>([
      [5, 0],
      [3, 1 + g.int(Math.max(1, s.revision))],
      [1, s.revision],
      [1, s.revision + 1 + g.int(3)],
      [1, s.compacted > 0 ? g.int(s.compacted + 1) : 1],
      [0.2, -1 - g.int(3)],
    ]),
  );
}

/** A lease for a put: none mostly, else one granted earlier or one that never existed. */
export function genLease(g: Gen, s: State): bigint {
  if (g.chance(0.8) || s.knownLeases.length === 0) return g.chance(0.9) ? 0n : BigInt(1000 + g.int(5));
  return g.pick(s.knownLeases);
}

export function genPut(g: Gen, s: State): Record<string, unknown> {
  const key = genKey(g);
  const ignoreValue = g.chance(0.1);
  const ignoreLease = g.chance(0.1);
  const req: Record<string, unknown> = { key: bytes(key) };
  if (!ignoreValue || g.chance(0.2)) req.value = bytes(genValue(g));
  if (ignoreValue) req.ignoreValue = true;
  if (ignoreLease) req.ignoreLease = true;
  const lease = !ignoreLease || g.chance(0.2) ? genLease(g, s) : 0n;
  if (lease !== 0n) req.lease = lease;
  if (g.chance(0.4)) req.prevKv = true;
  return req;
}

const LIMITS = [0, 0, 0, 1, 2, 3, 1000, -1];

export function genRange(g: Gen, s: State): Record<string, unknown> {
  const key = genKey(g);
  const req: Record<string, unknown> = { key: bytes(key) };
  const end = genRangeEnd(g, key);
  if (end) req.rangeEnd = bytes(end);
  const set = (name: string, p: number, v: () => unknown) => {
    if (g.chance(p)) req[name] = v();
  };
  set('limit', 0.3, () => BigInt(g.pick(LIMITS)));
  set('revision', 0.3, () => genRevision(g, s));
  set('sortOrder', 0.3, () => (g.chance(0.03) ? 3 + g.int(3) : g.int(3)));
  // An out-of-range sort_target makes etcd 3.4 panic (the connection drops), so only valid ones are sent.
  set('sortTarget', 0.3, () => g.int(5));
  set('serializable', 0.3, () => true);
  set('keysOnly', 0.2, () => true);
  set('countOnly', 0.15, () => true);
  const rev = () => BigInt(g.int(s.revision + 2));
  set('minModRevision', 0.1, rev);
  set('maxModRevision', 0.1, rev);
  set('minCreateRevision', 0.1, rev);
  set('maxCreateRevision', 0.1, rev);
  return req;
}

export function genDelete(g: Gen): Record<string, unknown> {
  const key = genKey(g);
  const req: Record<string, unknown> = { key: bytes(key) };
  const end = genRangeEnd(g, key);
  if (end) req.rangeEnd = bytes(end);
  if (g.chance(0.4)) req.prevKv = true;
  return req;
}

export function kvOp(g: Gen, s: State): UnaryOp {
  return g.weighted<() => UnaryOp>([
    [5, () => ({ kind: 'unary', service: 'KV', method: 'Put', req: genPut(g, s) })],
    [5, () => ({ kind: 'unary', service: 'KV', method: 'Range', req: genRange(g, s) })],
    [2, () => ({ kind: 'unary', service: 'KV', method: 'DeleteRange', req: genDelete(g) })],
  ])();
}

/** put (prev_kv, lease, ignore_value, ignore_lease), range with every field, delete_range. */
export const kvArea: Area = {
  name: 'kv',
  next: (g, s) => kvOp(g, s),
};

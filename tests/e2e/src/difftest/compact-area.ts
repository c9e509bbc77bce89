import type { Area, CustomOp, Op, State, UnaryOp } from './engine';
import { bytes, type Gen, genKey, genRangeEnd } from './gen';
import { genPut, genRange, kvOp } from './kv-area';
import { plain } from './normalise';
import { WatchPair } from './watch-streams';

function compactOp(g: Gen, s: State): UnaryOp {
  const rev = g.weighted<number>([
    [4, s.compacted + 1 + g.int(Math.max(1, s.revision - s.compacted))],
    [1, s.revision],
    [1, s.revision + 1 + g.int(2)],
    [1, g.int(s.compacted + 1)],
  ]);
  return {
    kind: 'unary',
    service: 'KV',
    method: 'Compact',
    req: { revision: BigInt(rev), ...(g.chance(0.5) ? { physical: true } : {}) },
    after(e, _o, st) {
      if (e.ok && rev > st.compacted) st.compacted = rev;
    },
  };
}

/** A range at a revision near the compaction point: just below it (compacted), at it, just above. */
function oldRangeOp(g: Gen, s: State): UnaryOp {
  const req = genRange(g, s);
  req.revision = BigInt(Math.max(0, s.compacted - 1 + g.int(3)));
  return { kind: 'unary', service: 'KV', method: 'Range', req };
}

/** A watcher on a fresh stream from an old revision: compacted away, at the compaction point, or later. */
function oldWatchOp(g: Gen, s: State): CustomOp {
  const key = genKey(g, 0);
  const req: Record<string, unknown> = {
    key: bytes(key),
    startRevision: BigInt(Math.max(1, s.compacted - 1 + g.int(4))),
    ...(g.chance(0.5) ? { prevKv: true } : {}),
  };
  const end = genRangeEnd(g, key);
  if (end) req.rangeEnd = bytes(end);
  return {
    kind: 'custom',
    describe: { watch: 'create on a new stream, then all it gets', req: plain(req) },
    async run(pair) {
      const w = WatchPair.open(pair);
      try {
        w.send({ createRequest: req });
        const created = await w.nextControl();
        const rest = await w.settledEvents();
        return {
          etcd: { created: created.etcd, rest: rest.etcd },
          ours: { created: created.ours, rest: rest.ours },
        };
      } finally {
        w.close();
      }
    },
  };
}

/** Compaction (physical or not) interleaved with writes, ranges at old revisions and watches from them. */
export const compactArea: Area = {
  name: 'compact',
  next(g, s): Op {
    return g.weighted<() => Op>([
      [6, () => ({ kind: 'unary', service: 'KV', method: 'Put', req: genPut(g, s) })],
      [2, () => kvOp(g, s)],
      [1, () => compactOp(g, s)],
      [3, () => oldRangeOp(g, s)],
      [1, () => oldWatchOp(g, s)],
    ])();
  },
};

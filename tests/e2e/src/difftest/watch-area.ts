import type { Area, CustomOp, Op, State } from './engine';
import { bytes, type Gen, genKey, genRangeEnd } from './gen';
import { kvOp } from './kv-area';
import { plain } from './normalise';
import { genTxn } from './txn-area';
import { WatchPair } from './watch-streams';

interface WatchState {
  streams?: WatchPair;
  /** Watch IDs etcd said it created and that were not cancelled yet. */
  ids: string[];
  /**
   * Watchers created from a past revision since the last check. etcd replays their history from a loop
   * that runs every 100 ms, so whether that replay comes before a later cancel is timing; they are not
   * cancelled before a check, and a check waits until that loop has had time to run for each of them.
   */
  young: Map<string, number>;
  sinceCheck: number;
}

function ws(s: State): WatchState {
  return (s.area.watch ??= { ids: [], young: new Map<string, number>(), sinceCheck: 0 }) as WatchState;
}

function streams(s: State, pair: Parameters<CustomOp['run']>[0]): WatchPair {
  const w = ws(s);
  w.streams ??= WatchPair.open(pair);
  return w.streams;
}

export function genWatchCreate(g: Gen, s: State): Record<string, unknown> {
  const key = genKey(g, 0.02);
  const c: Record<string, unknown> = { key: bytes(key) };
  const end = genRangeEnd(g, key);
  if (end) c.rangeEnd = bytes(end);
  if (g.chance(0.2)) {
    c.startRevision = BigInt(
      g.weighted<number>([
        // Within the last 500 revisions: etcd replays at most 1000 revisions per turn of its sync loop,
        // and longer replays differed at that boundary in one long run (not yet explained).
        [3, Math.max(1, s.revision - g.int(500))],
        [1, s.revision + 1 + g.int(3)],
      ]),
    );
  }
  if (g.chance(0.4)) c.prevKv = true;
  if (g.chance(0.2)) c.filters = g.pick([[0], [1], [0, 1]]);
  if (g.chance(0.2)) c.fragment = true;
  // Now and then an ID of the client's choosing, from a small set so that duplicates happen.
  if (g.chance(0.1)) c.watchId = BigInt(1 + g.int(4));
  return c;
}

function createOp(g: Gen, s: State): CustomOp {
  const req = genWatchCreate(g, s);
  return {
    kind: 'custom',
    describe: { watch: 'create', req: plain(req) },
    async run(pair) {
      const w = streams(s, pair);
      w.send({ createRequest: req });
      const r = await w.nextControl();
      const e = r.etcd as { watchId?: string; canceled?: boolean } | null;
      if (e && !e.canceled) {
        ws(s).ids.push(e.watchId ?? '0');
        const start = Number((req.startRevision as bigint | undefined) ?? 0n);
        if (start > 0 && start <= s.revision) ws(s).young.set(e.watchId ?? '0', Date.now());
      }
      return r;
    },
  };
}

function cancelOp(g: Gen, s: State): CustomOp {
  const w = ws(s);
  const old = w.ids.filter((x) => !w.young.has(x));
  const known = old.length > 0 && g.chance(0.9);
  const id = known ? old[g.int(old.length)]! : String(50 + g.int(3));
  if (known) w.ids.splice(w.ids.indexOf(id), 1);
  return {
    kind: 'custom',
    describe: { watch: 'cancel', watchId: id },
    async run(pair) {
      const st = streams(s, pair);
      // etcd queues a watcher's events on the stream's buffer; when that is full the watcher turns
      // "victim" and gets them from a 10 ms retry loop, or never if it is cancelled first. So events
      // written before the cancel are let arrive first (at once when both sides already agree).
      await st.settledEvents();
      st.send({ cancelRequest: { watchId: BigInt(id) } });
      // Waiting for the acknowledgement keeps the next writes after the cancel on both servers.
      return st.cancelAck(id, known ? 3000 : 300);
    },
  };
}

export function checkOp(s: State): CustomOp {
  return {
    kind: 'custom',
    describe: { watch: 'compare events and cancels so far' },
    async run(pair) {
      const w = streams(s, pair);
      // 150 ms after the newest of them was created: more than one turn of etcd's 100 ms loop.
      const newest = Math.max(0, ...ws(s).young.values());
      const wait = newest + 150 - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      ws(s).young.clear();
      const r = await w.settledEvents();
      w.forgetEvents();
      return r;
    },
  };
}

/**
 * Watchers on one stream per server: create (start_revision past/future, range_end, prev_kv, filters,
 * fragment; progress_notify off), cancel, and writes; events are compared every few ops.
 */
export const watchArea: Area = {
  name: 'watch',
  next(g, s): Op {
    const w = ws(s);
    if (++w.sinceCheck >= 12) {
      w.sinceCheck = 0;
      return checkOp(s);
    }
    // At most 24 live watchers, so one write rarely fills a stream's buffer (see cancelOp).
    const full = w.ids.length >= 24;
    return g.weighted<() => Op>([
      [full ? 0 : 2, () => createOp(g, s)],
      [full ? 3 : 1, () => cancelOp(g, s)],
      [5, () => kvOp(g, s)],
      [1, () => ({ kind: 'unary', service: 'KV', method: 'Txn', req: genTxn(g, s, 1) })],
    ])();
  },
  async finish(pair, s) {
    const r = await checkOp(s).run(pair, s);
    ws(s).streams?.close();
    return r;
  },
};

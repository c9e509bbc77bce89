import { Etcd3 } from 'etcd3';
import type { Cluster } from '../harness/cluster';
import { readLocal } from '../harness/etcdctl';
import { waitFor } from '../harness/poll';
import { checkRegisters } from '../linearizability/checker';
import { describeOp, type HistoryOp } from '../linearizability/history';
import { appendSetup, checkAppend, listKeys, runAppendWorkload, SET_PREFIX } from './append-workload';
import type { NemesisEvent } from './nemesis';
import { FAULT_SETS, type NemesisTiming, NetNemesis } from './net-nemesis';
import { prng, registerKeys, registerSetup, runRegisterWorkload } from './register-workload';
import { checkWatch, HoppingWatcher, referenceHistory } from './watch-check';

export interface JepsenOptions {
  seconds: number;
  /** A FAULT_SETS name: kill, pause, mixed, partition, isolate-leader, bridge, partition-kill, mixed-net. */
  fault: string;
  seed: number;
  /** Register clients (get/put/CAS) and append/set clients. */
  registerClients?: number;
  appendClients?: number;
  keys?: number;
  lists?: number;
  timing?: Partial<NemesisTiming>;
  /** Step bound for the WGL search per key. */
  maxExplored?: number;
}

export interface Verdict {
  check: string;
  ok: boolean | 'unknown';
  detail: string;
}

export interface JepsenReport {
  verdicts: Verdict[];
  nemesis: NemesisEvent[];
  stats: Record<string, unknown>;
  /** Lines worth printing when a check fails (history excerpt). */
  evidence: string[];
  /** The register history and the set/append results, for saving when a check fails. */
  raw: unknown;
  ok: boolean;
}

/**
 * One Jepsen-style run: register, set/append and watch workloads at once while the nemesis injects
 * faults; then heal, let the cluster settle, read the final state and check every invariant.
 */
export async function runJepsen(cluster: Cluster, o: JepsenOptions): Promise<JepsenReport> {
  const faults = FAULT_SETS[o.fault];
  if (!faults) throw new Error(`unknown fault ${o.fault}; one of ${Object.keys(FAULT_SETS).join(', ')}`);
  const keys = registerKeys(o.keys ?? 3);
  const lists = listKeys(o.lists ?? 2);
  await registerSetup(cluster, keys);
  await appendSetup(cluster, lists);
  const startRev = await linearRevision(cluster);

  const t0 = performance.now();
  const nemesis = new NetNemesis(cluster, prng(o.seed + 1), t0, faults, o.timing);
  const watcher = new HoppingWatcher(cluster.clientUrls, 'jepsen/', startRev + 1, prng(o.seed + 2));
  watcher.start();
  try {
    return await runChecked();
  } finally {
    await watcher.stop();
  }

  async function runChecked(): Promise<JepsenReport> {
    nemesis.start();
    let reg: Awaited<ReturnType<typeof runRegisterWorkload>>;
    let app: Awaited<ReturnType<typeof runAppendWorkload>>;
    try {
      [reg, app] = await Promise.all([
        runRegisterWorkload(cluster, {
          durationMs: o.seconds * 1000,
          clients: o.registerClients ?? 4,
          keys: keys.length,
          nemesis: false,
          seed: o.seed,
          setup: false,
        }),
        runAppendWorkload(cluster, {
          durationMs: o.seconds * 1000,
          clients: o.appendClients ?? 3,
          lists: lists.length,
          seed: o.seed + 3,
          t0,
          rnd: prng(o.seed + 3),
        }),
      ]);
    } finally {
      await nemesis.stop();
    }

    // Settled: every member runs, is healthy and agrees on a leader. Read the truth linearizably.
    const finalRev = await linearRevision(cluster);
    const c = new Etcd3({ hosts: cluster.clientUrls });
    const finalSet = new Map<string, number>();
    const finalLists = new Map<string, string[]>();
    try {
      const all = await c.getAll().prefix(SET_PREFIX).exec();
      for (const kv of all.kvs) finalSet.set(kv.key.toString(), Number(kv.mod_revision));
      for (const k of lists) {
        const v = await c.get(k).string();
        finalLists.set(k, v ? v.split(',') : []);
      }
    } finally {
      c.close();
    }

    const verdicts: Verdict[] = [];
    const evidence: string[] = [];

    const reg0 = Date.now();
    const lin = checkRegisters(reg.history, () => reg.init, o.maxExplored ?? 20_000_000);
    verdicts.push({
      check: 'registers linearizable (WGL)',
      ok: lin.ok,
      detail:
        lin.ok === true
          ? `${lin.ops} ops, ${lin.explored} steps, ${Date.now() - reg0} ms`
          : `${lin.reason} (${lin.ops} ops)`,
    });
    if (lin.ok !== true) {
      const key = /key (\S+):/.exec(lin.reason)?.[1];
      const at = Number(/stuck before .*\[([\d.]+),/.exec(lin.reason)?.[1] ?? Number.NaN);
      evidence.push(...historyExcerpt(reg.history, key, at));
    }

    const av = checkAppend(app, finalSet, finalLists);
    verdicts.push({
      check:
        'set + append: acknowledged kept, in place, no duplicates or phantoms, no stale linearizable read',
      ok: av.problems.length === 0,
      detail:
        av.problems.length === 0
          ? `${av.checked.setKeys} acked set puts, ${av.checked.appends} appends, ${av.checked.reads} reads; ${av.staleSerializable} stale serializable reads (allowed)`
          : av.problems.slice(0, 10).join('\n'),
    });

    await watcher.finish(finalRev, 30_000);
    const leader = await cluster.leader(20_000);
    const reference = await referenceHistory(leader.clientUrl, 'jepsen/', startRev + 1, finalRev);
    const wp = checkWatch(watcher.events, reference, finalRev);
    // The history itself must hold every acknowledged set put at its revision.
    const byRev = new Map(reference.map((e) => [`${e.rev} ${e.key}`, e]));
    for (const [k, rev] of app.setAcked) {
      if (!byRev.has(`${rev} ${k}`) && wp.length < 10)
        wp.push(`watch history lacks acknowledged put ${k}@${rev}`);
    }
    verdicts.push({
      check: 'hopping watcher = final history (order, no gap, no duplicate)',
      ok: wp.length === 0,
      detail:
        wp.length === 0
          ? `${watcher.events.length} events over ${watcher.reconnects} connections, revs ${startRev + 1}..${finalRev}`
          : wp.join('\n'),
    });

    const conv = await converged(cluster, finalRev);
    verdicts.push({
      check: 'members converge to identical data',
      ok: conv.length === 0,
      detail: conv.join('\n') || 'all equal',
    });

    return {
      verdicts,
      nemesis: nemesis.events,
      stats: {
        register: reg.counts,
        append: app.counts,
        startRev,
        finalRev,
        watchEvents: watcher.events.length,
      },
      evidence,
      raw: {
        registers: reg.history,
        append: { ...app, setAcked: [...app.setAcked], setUnknown: [...app.setUnknown] },
        finalLists: [...finalLists],
      },
      ok: verdicts.every((v) => v.ok === true),
    };
  }
}

async function linearRevision(cluster: Cluster): Promise<number> {
  const c = new Etcd3({ hosts: cluster.clientUrls });
  try {
    const r = await c.get('jepsen/').exec();
    return Number(r.header.revision);
  } finally {
    c.close();
  }
}

/** Every member reaches finalRev and holds the same keys and values under jepsen/. */
async function converged(cluster: Cluster, finalRev: number): Promise<string[]> {
  const snaps = await Promise.all(
    cluster.members.map(async (m) => {
      const s = await waitFor(
        `${m.spec.name} to apply through rev ${finalRev}`,
        async () => {
          const r = await readLocal(m.endpoint, 'jepsen/');
          return r.revision >= finalRev ? r : undefined;
        },
        30_000,
        200,
      ).catch((e: Error) => e);
      return { m, s };
    }),
  );
  const out: string[] = [];
  const first = snaps[0]!;
  for (const { m, s } of snaps) {
    if (s instanceof Error) {
      out.push(s.message);
      continue;
    }
    if (first.s instanceof Error) continue;
    for (const [k, v] of first.s.kvs) {
      if (s.kvs.get(k) !== v)
        out.push(`${m.spec.name}: ${k}=${s.kvs.get(k)} but ${first.m.spec.name} has ${v}`);
    }
    for (const k of s.kvs.keys())
      if (!first.s.kvs.has(k)) out.push(`${m.spec.name} has ${k}, ${first.m.spec.name} not`);
  }
  return out.slice(0, 10);
}

/** The key's operations overlapping a window before the op the search got stuck at (or the last 40). */
function historyExcerpt(history: HistoryOp[], key: string | undefined, at: number): string[] {
  const ops = history.filter((h) => h.key === key).sort((a, b) => a.call - b.call);
  if (!Number.isFinite(at)) return ops.slice(-40).map(describeOp);
  return ops
    .filter((h) => h.call <= at + 300 && h.ret >= at - 2000)
    .slice(-80)
    .map(describeOp);
}

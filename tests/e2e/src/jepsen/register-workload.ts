import { Etcd3 } from 'etcd3';
import type { Cluster } from '../harness/cluster';
import { sleep } from '../harness/poll';
import type { HistoryOp } from '../linearizability/history';
import { SINGLE_ATTEMPT } from '../workload/no-retry';
import { type Fault, KillRestartNemesis, type NemesisEvent } from './nemesis';

export interface WorkloadOptions {
  durationMs: number;
  clients: number;
  keys: number;
  nemesis: boolean;
  /** Which faults the nemesis injects (default 'kill'). */
  fault?: Fault;
  seed: number;
  /** Per-call deadline; a write that misses it is indeterminate. */
  opTimeoutMs?: number;
  /** Write the initial value to every key first (default true; false when the caller already did). */
  setup?: boolean;
}

export interface WorkloadResult {
  history: HistoryOp[];
  init: string;
  keys: string[];
  nemesis: NemesisEvent[];
  counts: { ok: number; failedReads: number; indeterminate: number; casFalse: number };
}

/** A small deterministic PRNG, so a run's choices repeat for a seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function registerKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `jepsen/r${i}`);
}

/** Writes the initial value to every register (with the client's retries: the cluster is healthy). */
export async function registerSetup(cluster: Cluster, keys: string[], init = 'init'): Promise<void> {
  const setup = new Etcd3({ hosts: cluster.clientUrls });
  try {
    for (const k of keys) await setup.put(k).value(init);
  } finally {
    setup.close();
  }
}

/**
 * Concurrent clients doing linearizable get, put and compare-and-set (a Txn) on a few keys, each op timed
 * from just before the call to just after the answer, while the nemesis kills and restarts members.
 */
export async function runRegisterWorkload(cluster: Cluster, o: WorkloadOptions): Promise<WorkloadResult> {
  const rnd = prng(o.seed);
  const keys = registerKeys(o.keys);
  const init = 'init';
  if (o.setup !== false) await registerSetup(cluster, keys, init);

  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const history: HistoryOp[] = [];
  const counts = { ok: 0, failedReads: 0, indeterminate: 0, casFalse: 0 };
  const nemesis = new KillRestartNemesis(cluster, prng(o.seed + 1), t0, o.fault ?? 'kill');
  const endAt = Date.now() + o.durationMs;
  const timeout = o.opTimeoutMs ?? 2000;

  const client = async (p: number) => {
    const c = new Etcd3({
      hosts: cluster.clientUrls,
      dialTimeout: 2000,
      defaultCallOptions: () => ({ deadline: Date.now() + timeout }),
      faultHandling: { global: SINGLE_ATTEMPT },
    });
    const lastSeen = new Map<string, string>();
    let seq = 0;
    try {
      while (Date.now() < endAt) {
        const key = keys[Math.floor(rnd() * keys.length)]!;
        const r = rnd();
        const call = now();
        if (r < 0.4) {
          try {
            const v = await c.get(key).string();
            history.push({ process: p, key, op: { f: 'read', value: v }, call, ret: now() });
            if (v !== null) lastSeen.set(key, v);
            counts.ok++;
          } catch {
            counts.failedReads++; // a failed read changes nothing: leave it out
          }
        } else if (r < 0.7) {
          const value = `p${p}-${seq++}`;
          try {
            await c.put(key).value(value);
            history.push({ process: p, key, op: { f: 'write', value }, call, ret: now() });
            lastSeen.set(key, value);
            counts.ok++;
          } catch {
            history.push({ process: p, key, op: { f: 'write', value }, call, ret: Infinity });
            counts.indeterminate++;
          }
        } else {
          const from = lastSeen.get(key) ?? init;
          const to = `p${p}-${seq++}`;
          try {
            const t = await c.if(key, 'Value', '==', from).then(c.put(key).value(to)).commit();
            history.push({ process: p, key, op: { f: 'cas', from, to, ok: t.succeeded }, call, ret: now() });
            if (t.succeeded) lastSeen.set(key, to);
            else counts.casFalse++;
            counts.ok++;
          } catch {
            history.push({ process: p, key, op: { f: 'cas', from, to }, call, ret: Infinity });
            counts.indeterminate++;
          }
        }
        await sleep(rnd() * 10);
      }
    } finally {
      c.close();
    }
  };

  if (o.nemesis) nemesis.start();
  try {
    await Promise.all(Array.from({ length: o.clients }, (_, p) => client(p)));
  } finally {
    if (o.nemesis) await nemesis.stop();
  }
  return { history, init, keys, nemesis: nemesis.events, counts };
}

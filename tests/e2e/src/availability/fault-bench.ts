import { Cluster } from '../harness/cluster';
import { readLocal } from '../harness/etcdctl';
import { sleep, waitFor } from '../harness/poll';
import type { ServerKind } from '../harness/server-binary';
import type { NemesisEvent } from '../jepsen/nemesis';
import { FAULT_SETS, NetNemesis, needsNetns } from '../jepsen/net-nemesis';
import { prng } from '../jepsen/register-workload';
import { AckedWriter, missingAcked } from '../workload/acked-writes';

export interface FaultBenchOptions {
  kind: ServerKind;
  /** A FAULT_SETS name: kill, pause, partition, isolate-leader, ... */
  fault: string;
  seconds: number;
  writers: number;
  /**
   * A fault starts every period ms (or once the previous one has healed, if later), whether or not the
   * members restarted so far have finished booting.
   */
  periodMs: number;
  /** Kill: down for holdMs / 2; pause and partitions: held holdMs. */
  holdMs: number;
  seed: number;
  /** Server flags for election timing; [] keeps each server's defaults (100 ms / 1 s). */
  timing: string[];
  /** etcd3's default fault handling (retries, circuit breaker), as a user's client; else one attempt. */
  clientRetries: boolean;
  /** Each put's gRPC deadline, ms. */
  deadlineMs: number;
  members?: number;
}

export interface FaultOutage {
  at: number;
  what: string;
  /** The longest time without an acknowledged write (any writer) from the fault until the next one, ms. */
  outageMs: number;
  /** How the puts in flight at the fault ended: "acked 1.2s", "GRPCDeadlineExceededError 5.0s", ... */
  inFlight: string[];
}

/** One put: when it started and ended (ms since the start) and its outcome. */
export interface PutCall {
  start: number;
  end: number;
  /** undefined when acknowledged, else the error class etcd3 raised. */
  err?: string;
}

export interface FaultBenchResult {
  server: ServerKind;
  fault: string;
  seconds: number;
  acked: number;
  failed: number;
  ackedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  outages: FaultOutage[];
  maxOutageMs: number;
  /** The longest time between two consecutive acknowledgements, whatever caused it. */
  maxGapMs: number;
  /** Acknowledged writes some member lacks afterwards (must be empty). */
  lost: string[];
  errors: string;
  events: NemesisEvent[];
}

/** The nemesis events that start a fault (not restarts, resumes or heals). */
const FAULT_START = /^(kill -9|pause|isolate leader|partition halves|bridge|one-way)/;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * For each fault, the longest time without an acknowledgement from the fault until the next fault (or
 * the end): the gap from the fault to the first ack after it, or a later gap between two acks if
 * longer. Acks of puts that were already committed when the fault hit land just after it, so the
 * first gap alone would call a frozen leader available. Also how the calls in flight at the fault
 * ended (what a client waited for: an error, a retry, a timeout). `acks` sorted ascending.
 */
export function outagesAfter(
  events: NemesisEvent[],
  acks: number[],
  endAt: number,
  calls: PutCall[] = [],
): FaultOutage[] {
  const starts = events.filter((e) => FAULT_START.test(e.what));
  return starts.map((e, k) => {
    const until = starts[k + 1]?.at ?? endAt;
    let i = firstAfter(acks, e.at);
    let prev = e.at;
    let longest = 0;
    for (; i < acks.length && prev < until; i++) {
      longest = Math.max(longest, acks[i]! - prev);
      prev = acks[i]!;
    }
    if (prev < until) longest = Math.max(longest, until - prev);
    const inFlight = calls
      .filter((c) => c.start <= e.at && c.end > e.at)
      .map((c) => `${c.err ?? 'acked'} +${((c.end - e.at) / 1000).toFixed(2)}s`);
    return { at: e.at, what: e.what, outageMs: longest, inFlight };
  });
}

/** Index of the first element of sorted `xs` greater than `t`. */
function firstAfter(xs: number[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One server, one fault kind: `writers` clients put unique keys back to back for `seconds` while the
 * nemesis injects a fault every period; then everything heals and every member must hold every
 * acknowledged write. Latency is of acknowledged puts only; a failed put backs off 20 ms (as a user's
 * loop would, and so a refused connection does not spin a core the servers need).
 */
export async function runFaultBench(o: FaultBenchOptions): Promise<FaultBenchResult> {
  const faults = FAULT_SETS[o.fault];
  if (!faults) throw new Error(`unknown fault ${o.fault}; one of ${Object.keys(FAULT_SETS).join(', ')}`);
  const c = await Cluster.start({
    size: o.members ?? 3,
    kind: o.kind,
    timing: o.timing,
    netns: needsNetns(o.fault),
  });
  const writers = Array.from(
    { length: o.writers },
    (_, i) =>
      new AckedWriter(c.clientUrls, `fb/w${i}/`, {
        clientRetries: o.clientRetries,
        deadlineMs: o.deadlineMs,
      }),
  );
  try {
    const t0 = performance.now();
    const nemesis = new NetNemesis(c, prng(o.seed), t0, faults, {
      period: o.periodMs,
      hold: [o.holdMs, o.holdMs],
      awaitHealthy: false,
    });
    const acks: number[] = [];
    const latencies: number[] = [];
    const calls: PutCall[] = [];
    const deadline = t0 + o.seconds * 1000;
    nemesis.start();
    await Promise.all(
      writers.map(async (w) => {
        while (performance.now() < deadline) {
          const [k, v] = w.nextKey();
          const start = performance.now();
          const failuresBefore = w.failures;
          const ok = await w.putOnce(k, v);
          const end = performance.now();
          calls.push({
            start: start - t0,
            end: end - t0,
            err: ok ? undefined : lastError(w, failuresBefore),
          });
          if (ok) {
            acks.push(end - t0);
            latencies.push(end - start);
          } else await sleep(20);
        }
      }),
    );
    const endAt = performance.now() - t0;
    await nemesis.stop();
    acks.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    let maxGapMs = acks[0] ?? endAt;
    for (let i = 1; i < acks.length; i++) maxGapMs = Math.max(maxGapMs, acks[i]! - acks[i - 1]!);
    const outages = outagesAfter(nemesis.events, acks, endAt, calls);
    const lost = await lostAcks(c, writers);
    const errors = new Map<string, number>();
    for (const w of writers) for (const [m, n] of w.errors) errors.set(m, (errors.get(m) ?? 0) + n);
    return {
      server: o.kind,
      fault: o.fault,
      seconds: endAt / 1000,
      acked: acks.length,
      failed: writers.reduce((n, w) => n + w.failures, 0),
      ackedPerSec: acks.length / (endAt / 1000),
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      outages,
      maxOutageMs: Math.max(0, ...outages.map((x) => x.outageMs)),
      maxGapMs,
      lost,
      errors: [...errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([m, n]) => `${n}x ${m}`)
        .join('; '),
      events: nemesis.events,
    };
  } finally {
    for (const w of writers) w.close();
    await c.destroy();
  }
}

function lastError(w: AckedWriter, failuresBefore: number): string {
  return w.failures > failuresBefore ? (w.lastError?.split(':')[0] ?? 'error') : 'error';
}

/** Every acknowledged write must be on every member once it has caught up with the leader. */
async function lostAcks(c: Cluster, writers: AckedWriter[]): Promise<string[]> {
  const leader = await c.leader(30_000);
  const target = (await readLocal(leader.endpoint, 'fb/')).revision;
  const lost: string[] = [];
  for (const m of c.members) {
    const r = await waitFor(
      `${m.spec.name} to reach revision ${target}`,
      async () => {
        const x = await readLocal(m.endpoint, 'fb/');
        return x.revision >= target ? x : undefined;
      },
      30_000,
      250,
    );
    for (const w of writers) for (const k of missingAcked(w.acked, r.kvs)) lost.push(`${m.spec.name}: ${k}`);
  }
  return lost;
}

import type { ServiceName } from '@kv/api-proto';
import { canonical, firstDifference } from './compare';
import type { Conn, Outcome } from './conn';
import { Gen } from './gen';
import { LeaseMap, normalise, type Plain, plain } from './normalise';
import { PAIR_FLAGS, type Pair, startPair } from './servers';

/** One request sent to both servers the same way. Lease IDs in `req` are etcd's (see LeaseMap). */
export interface UnaryOp {
  kind: 'unary';
  service: ServiceName;
  method: string;
  req: Record<string, unknown>;
  /** Send with this user's token (see State.tokens); undefined = no token. */
  as?: string;
  /** Extra normalisation of both answers, e.g. blurTtl. */
  post?: (p: Plain) => Plain;
  /** Runs after both answered (state bookkeeping from etcd's answer, the reference). */
  after?: (etcd: Outcome, ours: Outcome, s: State) => void;
}

/** A step that needs more than one call (streams); it returns both servers' normalised results. */
export interface CustomOp {
  kind: 'custom';
  describe: Plain;
  run(pair: Pair, s: State): Promise<{ etcd: Plain; ours: Plain }>;
}

export type Op = UnaryOp | CustomOp;

/** What a run knows so far, learned from etcd's answers; generators read it to aim their requests. */
export class State {
  readonly leases = new LeaseMap();
  /** Lease IDs (etcd's) granted and maybe still alive. */
  readonly knownLeases: bigint[] = [];
  /** user -> token on each server. */
  readonly tokens = new Map<string, { etcd: string; ours: string }>();
  revision = 1;
  compacted = 0;
  /** Free-form per-area state. */
  readonly area: Record<string, unknown> = {};
}

export interface Area {
  name: string;
  /** Flags beyond PAIR_FLAGS for both servers. */
  flags?: string[];
  next(g: Gen, s: State, index: number): Op;
  /** Runs once before the first op (e.g. close streams at the end). */
  finish?(pair: Pair, s: State): Promise<{ etcd: Plain; ours: Plain } | undefined>;
}

export interface Divergence {
  area: string;
  seed: number;
  index: number;
  request: Plain;
  etcd: Plain;
  ours: Plain;
  path: string;
}

/** Lease IDs travel as etcd's; ours gets its own ID for each server-chosen one. */
function forOurs(v: unknown, s: State, key = ''): unknown {
  if (typeof v === 'bigint') return key === 'ID' || key === 'lease' ? s.leases.ours(v) : v;
  if (Array.isArray(v)) return v.map((x) => forOurs(x, s, key));
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = forOurs(x, s, k);
    return out;
  }
  return v;
}

function revisionOf(o: Outcome): number | undefined {
  if (!o.ok) return undefined;
  const h = o.res.header as { revision?: { toNumber(): number } } | undefined;
  return h?.revision ? h.revision.toNumber() : undefined;
}

export async function runUnary(pair: Pair, s: State, op: UnaryOp): Promise<{ etcd: Plain; ours: Plain }> {
  const tok = op.as ? s.tokens.get(op.as) : undefined;
  const call = (c: Conn, req: object, token?: string) => c.unary(op.service, op.method, req, token);
  const [e, o] = await Promise.all([
    call(pair.etcd, op.req, tok?.etcd),
    call(pair.ours, forOurs(op.req, s) as object, tok?.ours),
  ]);
  const rev = revisionOf(e);
  if (rev !== undefined && rev > s.revision) s.revision = rev;
  op.after?.(e, o, s);
  const post = op.post ?? ((p: Plain) => p);
  return { etcd: post(normalise(e)), ours: post(normalise(o, { leases: s.leases })) };
}

export function describe(op: Op): Plain {
  if (op.kind === 'custom') return op.describe;
  return { call: `${op.service}.${op.method}`, ...(op.as ? { as: op.as } : {}), req: plain(op.req) };
}

/** KV_DIFFTEST_TRACE=1 prints every op and etcd's answer (for reading a replayed seed). */
const TRACE = process.env.KV_DIFFTEST_TRACE === '1';

export interface RunOptions {
  area: Area;
  seed: number;
  ops: number;
  /** Stop the run early after this long (ms); the count of ops done is reported. */
  timeLimitMs?: number;
  onDivergence?: (d: Divergence) => void;
}

export interface RunResult {
  area: string;
  seed: number;
  opsDone: number;
  divergences: Divergence[];
  ms: number;
}

/** Runs one seeded sequence against a fresh pair of servers; stops at the first divergence. */
export async function runSeed(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const pair = await startPair([...PAIR_FLAGS, ...(opts.area.flags ?? [])]);
  const g = new Gen(opts.seed);
  const s = new State();
  const divergences: Divergence[] = [];
  let i = 0;
  try {
    for (; i < opts.ops; i++) {
      if (opts.timeLimitMs !== undefined && Date.now() - started > opts.timeLimitMs) break;
      const op = opts.area.next(g, s, i);
      let r: { etcd: Plain; ours: Plain };
      const t0 = Date.now();
      try {
        r = op.kind === 'unary' ? await runUnary(pair, s, op) : await op.run(pair, s);
      } catch (e) {
        throw new Error(`seed ${opts.seed} op ${i} ${canonical(describe(op))}: ${(e as Error).message}`);
      }
      if (TRACE)
        console.log(
          `#${i} ${Date.now() - t0}ms ${canonical(describe(op)).slice(0, 400)}\n   etcd ${canonical(r.etcd).slice(0, 400)}`,
        );
      if (canonical(r.etcd) !== canonical(r.ours)) {
        const d: Divergence = {
          area: opts.area.name,
          seed: opts.seed,
          index: i,
          request: describe(op),
          etcd: r.etcd,
          ours: r.ours,
          path: firstDifference(r.etcd, r.ours) ?? '$',
        };
        divergences.push(d);
        opts.onDivergence?.(d);
        break;
      }
    }
    if (divergences.length === 0 && opts.area.finish) {
      const r = await opts.area.finish(pair, s);
      if (r && canonical(r.etcd) !== canonical(r.ours)) {
        const d: Divergence = {
          area: opts.area.name,
          seed: opts.seed,
          index: i,
          request: 'finish',
          etcd: r.etcd,
          ours: r.ours,
          path: firstDifference(r.etcd, r.ours) ?? '$',
        };
        divergences.push(d);
        opts.onDivergence?.(d);
      }
    }
  } finally {
    await pair.destroy();
  }
  return { area: opts.area.name, seed: opts.seed, opsDone: i, divergences, ms: Date.now() - started };
}

/** The value at a path produced by firstDifference ("$.a[2].b"). */
function at(p: Plain, path: string): Plain {
  let v: Plain = p;
  for (const m of path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (v === null || typeof v !== 'object') return null;
    v =
      m[1] !== undefined
        ? ((v as Record<string, Plain>)[m[1]] ?? null)
        : ((v as Plain[])[Number(m[2])] ?? null);
  }
  return v;
}

function clip(text: string, max = 3000): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} chars)`;
}

export function formatDivergence(d: Divergence): string {
  return [
    `DIVERGENCE area=${d.area} seed=${d.seed} op=${d.index} at ${d.path}`,
    `  there:   etcd=${canonical(at(d.etcd, d.path))} ours=${canonical(at(d.ours, d.path))}`,
    `  request: ${clip(canonical(d.request))}`,
    `  etcd:    ${clip(canonical(d.etcd))}`,
    `  ours:    ${clip(canonical(d.ours))}`,
    `  replay:  node tests/e2e/dist/difftest/run.js --area ${d.area} --seed ${d.seed} --ops ${d.index + 1}`,
  ].join('\n');
}

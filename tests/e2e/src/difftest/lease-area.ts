import type { Area, CustomOp, Op, State, UnaryOp } from './engine';
import type { Gen } from './gen';
import { genPut, genRange, kvOp } from './kv-area';
import { blurTtl, normalise } from './normalise';

// Leases never expire during a run: TTLs are far longer than any run, so expiry (wall-clock) never
// decides an answer. One TTL is over etcd's maximum (9,000,000,000 s) to see the error.
const TTLS = [3600, 7200, 86400, 9_000_000_001];

function learnGrant(s: State, etcdRes: unknown, oursRes: unknown): void {
  const e = (etcdRes as { ID?: { toString(): string } }).ID;
  const o = (oursRes as { ID?: { toString(): string } }).ID;
  if (e === undefined) return;
  const id = BigInt(e.toString());
  if (o !== undefined) s.leases.learn(id.toString(), o.toString());
  if (!s.knownLeases.includes(id)) s.knownLeases.push(id);
}

function grantOp(g: Gen): UnaryOp {
  // Own IDs from a small set so that "lease already exists" happens; 0 = the server chooses.
  const own = g.chance(0.5) ? BigInt(1 + g.int(6)) : 0n;
  return {
    kind: 'unary',
    service: 'Lease',
    method: 'LeaseGrant',
    req: { TTL: BigInt(g.pick(TTLS)), ...(own !== 0n ? { ID: own } : {}) },
    after(e, o, s) {
      if (e.ok && o.ok) learnGrant(s, e.res, o.res);
    },
  };
}

/** A lease to name in a request: a granted one (maybe revoked since), or one that never existed. */
function someLease(g: Gen, s: State): bigint {
  if (s.knownLeases.length > 0 && g.chance(0.8)) return g.pick(s.knownLeases);
  return BigInt(100 + g.int(3));
}

function keepAliveOnce(g: Gen, s: State): CustomOp {
  const id = someLease(g, s);
  return {
    kind: 'custom',
    describe: { call: 'Lease.LeaseKeepAlive (one request)', ID: id.toString() },
    async run(pair, st) {
      const once = async (c: typeof pair.etcd, lid: bigint) => {
        const call = c.openKeepAlive();
        try {
          const res = await new Promise<Record<string, unknown>>((resolve, reject) => {
            call.once('data', resolve);
            call.once('error', reject);
            call.write({ ID: lid });
          });
          return { ok: true as const, res };
        } catch (e) {
          const err = e as { code: number; details: string };
          return { ok: false as const, code: err.code, message: err.details };
        } finally {
          call.cancel();
        }
      };
      const [e, o] = await Promise.all([once(pair.etcd, id), once(pair.ours, st.leases.ours(id))]);
      return { etcd: normalise(e), ours: normalise(o, { leases: st.leases }) };
    },
  };
}

/** grant (own and server-chosen IDs), revoke, attach via put, TimeToLive (keys), Leases, keep-alive once. */
export const leaseArea: Area = {
  name: 'lease',
  next(g, s): Op {
    return g.weighted<() => Op>([
      [3, () => grantOp(g)],
      [1, () => ({ kind: 'unary', service: 'Lease', method: 'LeaseRevoke', req: { ID: someLease(g, s) } })],
      [
        4,
        () => {
          const req = genPut(g, s);
          if (g.chance(0.7)) req.lease = someLease(g, s);
          return { kind: 'unary', service: 'KV', method: 'Put', req };
        },
      ],
      [
        3,
        () => ({
          kind: 'unary',
          service: 'Lease',
          method: 'LeaseTimeToLive',
          req: { ID: someLease(g, s), ...(g.chance(0.5) ? { keys: true } : {}) },
          post: blurTtl,
        }),
      ],
      [1, () => ({ kind: 'unary', service: 'Lease', method: 'LeaseLeases', req: {} })],
      [2, () => keepAliveOnce(g, s)],
      [2, () => ({ kind: 'unary', service: 'KV', method: 'Range', req: genRange(g, s) })],
      [1, () => kvOp(g, s)],
    ])();
  },
};

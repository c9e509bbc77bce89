import { Long } from '@kv/api-proto';
import type { Outcome } from './conn';

/**
 * Lease IDs a server chose itself (LeaseGrant with ID 0) differ between the two servers by design
 * (etcd derives them from its member ID and the clock). The run learns each pair from the two grant
 * responses; requests carry etcd's ID and are translated for ours, responses from ours are translated back.
 */
export class LeaseMap {
  private readonly toOurs = new Map<string, string>();
  private readonly toEtcd = new Map<string, string>();

  learn(etcdId: string, oursId: string): void {
    this.toOurs.set(etcdId, oursId);
    this.toEtcd.set(oursId, etcdId);
  }
  /** etcd's ID -> ours (unknown IDs, e.g. ones the client chose, are the same on both). */
  ours(etcdId: bigint): bigint {
    const v = this.toOurs.get(etcdId.toString());
    return v === undefined ? etcdId : BigInt(v);
  }
  etcd(oursId: string): string {
    return this.toEtcd.get(oursId) ?? oursId;
  }
}

export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** Bytes are shown as a JSON string of their latin1 characters, so keys like "a\u0000" stay readable. */
function bytesText(b: Uint8Array): string {
  return `b${JSON.stringify(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'))}`;
}

/** A decoded protobufjs message as a plain value: only the fields that were on the wire, 64-bit as text. */
export function plain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return bytesText(v);
  if (Long.isLong(v)) return (v as Long).toString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out: { [k: string]: Plain } = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || x === null) continue;
      out[k] = plain(x);
    }
    return out;
  }
  return v as Plain;
}

export interface NormaliseContext {
  /** Present for ours' answers: server-chosen lease IDs are mapped to etcd's. */
  leases?: LeaseMap;
}

/**
 * What may legitimately differ between two fresh single-member servers, removed or mapped:
 * - header cluster_id/member_id (random per cluster) and raft_term (how many elections a fresh member
 *   held is not the API's contract); the revision stays, as both servers see the same writes;
 * - server-chosen lease IDs (mapped, see LeaseMap), and the lease list's order (etcd returns its map's
 *   iteration order, which Go randomises);
 * - auth tokens (random or signed per server): only whether one was issued is kept;
 * - a lease's remaining TTL in TimeToLive counts down with the wall clock, so only its sign is kept
 *   (-1 = expired/unknown stays -1); granted TTLs are compared exactly.
 */
export function normalise(o: Outcome, ctx: NormaliseContext = {}): Plain {
  if (!o.ok) return { error: { code: o.code, message: o.message } };
  return walk(plain(o.res), ctx, '');
}

function walk(v: Plain, ctx: NormaliseContext, key: string): Plain {
  if (Array.isArray(v)) {
    const items = v.map((x) => walk(x, ctx, key));
    if (key === 'leases') items.sort((a, b) => cmpId(a, b));
    return items;
  }
  if (v === null || typeof v !== 'object') {
    if ((key === 'ID' || key === 'lease') && typeof v === 'string' && ctx.leases) return ctx.leases.etcd(v);
    return v;
  }
  const out: { [k: string]: Plain } = {};
  for (const [k, x] of Object.entries(v)) {
    if (key === 'header' && (k === 'clusterId' || k === 'memberId' || k === 'raftTerm')) continue;
    if (k === 'token' && typeof x === 'string') {
      out[k] = x.length > 0 ? '<token>' : '';
      continue;
    }
    out[k] = walk(x, ctx, k);
  }
  return out;
}

function cmpId(a: Plain, b: Plain): number {
  const x = BigInt(String((a as { ID?: string })?.ID ?? 0));
  const y = BigInt(String((b as { ID?: string })?.ID ?? 0));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A TimeToLive answer: the remaining TTL counts down with the wall clock, so only whether it is positive
 * is kept; the attached keys come from etcd's per-lease map (Go randomises its order), so they are sorted.
 */
export function blurTtl(p: Plain): Plain {
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const out = { ...p };
    if (typeof out.TTL === 'string') out.TTL = Number(out.TTL) > 0 ? '>0' : out.TTL;
    if (Array.isArray(out.keys)) out.keys = [...out.keys].sort();
    return out;
  }
  return p;
}

// The lessor: every lease, the keys attached to each, and (on the leader) when each one expires.
//
// Two kinds of calls drive it. Applied operations (grant, revoke, attach, detach, checkpoint, recover) come
// from the server's apply loop in log order and change only replicated state, so every member agrees.
// Leader-local operations (promote, demote, renew, expired, dueCheckpoints, timeToLive) read the clock;
// anything they decide that must outlive the leader goes back through raft as a proposal.

import { LeaseExistsError, LeaseNotFoundError, LeaseTTLTooLargeError, NotPrimaryError } from './errors.js';
import { FOREVER, keyToString, Lease, sortedKeys } from './lease.js';
import { RateLimit } from './rate-limit.js';
import type { LeaseRecord } from './record.js';
import { TimerQueue } from './timer-queue.js';

/** Largest TTL grant() accepts, in seconds (etcd's MaxLeaseTTL). */
export const MAX_LEASE_TTL = 9_000_000_000;

export interface LessorOptions {
  /** Clock in ms; monotonic is best (default performance.now). Only differences are used. */
  now?: () => number;
  /** Shortest TTL in seconds; shorter grants are raised to it. etcd: ceil(1.5 x election timeout). */
  minTTL?: number;
  /** Most expired leases handed out by expired() per second (etcd's leaseRevokeRate). Default 1000. */
  revokeRate?: number;
  /** A lease handed out for revoke is handed out again after this long if still present. Default 3000. */
  expiredRetryMs?: number;
  /** How often the leader checkpoints a long lease's remaining TTL. Default 5 minutes. */
  checkpointIntervalMs?: number;
  /** Set false to never produce checkpoints (applied checkpoints are still recorded). Default true. */
  checkpointing?: boolean;
  /** Told of each grant, revoke and renew (metrics); none by default. */
  observer?: LessorObserver;
}

/** What etcd's lease metrics count: grants with their TTL and revokes (applied), renews (primary). */
export interface LessorObserver {
  granted(ttl: number): void;
  revoked(): void;
  renewed(): void;
}

export interface LeaseCheckpoint {
  id: bigint;
  /** Seconds; 0 clears a previous checkpoint. */
  remainingTTL: number;
}

export interface GrantResult {
  id: bigint;
  /** The TTL actually granted (raised to the minimum). */
  ttl: number;
  change: { put: LeaseRecord };
}

export interface RevokeResult {
  /** Attached keys, sorted bytewise: delete them all in the revoke's revision. */
  keys: Uint8Array[];
  change: { delete: bigint };
}

export interface RenewResult {
  /** The granted TTL, which is what a keep-alive response carries. */
  ttl: number;
  /**
   * Present when the lease has a checkpointed remaining TTL: propose it and wait for it to commit before
   * answering, otherwise a new leader could resume from the stale, shorter remaining TTL.
   */
  checkpoint?: LeaseCheckpoint;
}

export interface TimeToLive {
  id: bigint;
  /** Remaining seconds, truncated (0 once expired and awaiting revoke). */
  ttl: number;
  grantedTTL: number;
  keys: Uint8Array[];
}

/** A key as the mvcc store holds it: its lease is 0n or absent when it has none. */
export interface LeasedKey {
  key: Uint8Array;
  lease?: bigint;
}

export class Lessor {
  private readonly leaseMap = new Map<bigint, Lease>();
  private readonly keyMap = new Map<string, Lease>();
  private readonly expiryQueue = new TimerQueue<Lease>();
  private readonly checkpointQueue = new TimerQueue<Lease>();
  private readonly revokeLimit: RateLimit;
  private primary = false;

  private readonly now: () => number;
  private readonly minTTL: number;
  private readonly revokeRate: number;
  private readonly expiredRetryMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly checkpointing: boolean;
  private readonly observer: LessorObserver | undefined;

  constructor(opts: LessorOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.minTTL = opts.minTTL ?? 0;
    this.revokeRate = Math.max(1, opts.revokeRate ?? 1000);
    this.expiredRetryMs = Math.max(1, opts.expiredRetryMs ?? 3000);
    this.checkpointIntervalMs = Math.max(1, opts.checkpointIntervalMs ?? 300_000);
    this.checkpointing = opts.checkpointing ?? true;
    this.observer = opts.observer;
    this.revokeLimit = new RateLimit(this.revokeRate, Math.max(1, Math.floor(this.revokeRate / 2)));
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leaseMap.size;
  }

  // ---- applied operations: deterministic, in log order on every member ----

  /** Applies a LeaseGrant. The ID must already be chosen (see LeaseIdGenerator); 0 is refused. */
  grant(id: bigint, ttl: number): GrantResult {
    if (id === 0n) throw new LeaseNotFoundError();
    // int64 on the wire; anything else is a caller bug that would poison the expiry queue.
    if (!Number.isSafeInteger(ttl)) throw new RangeError(`lease TTL must be an integer, got ${ttl}`);
    if (ttl > MAX_LEASE_TTL) throw new LeaseTTLTooLargeError();
    if (this.leaseMap.has(id)) throw new LeaseExistsError();
    const lease = new Lease(id, Math.max(ttl, this.minTTL));
    this.leaseMap.set(id, lease);
    if (this.primary) {
      const now = this.now();
      this.setExpiry(lease, now + lease.ttl * 1000);
      this.scheduleCheckpoint(lease, now);
    }
    this.observer?.granted(lease.ttl);
    return { id, ttl: lease.ttl, change: { put: record(lease) } };
  }

  /** Applies a LeaseRevoke (asked for by a client or by expiry). */
  revoke(id: bigint): RevokeResult {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const keys = sortedKeys(lease);
    for (const k of lease.keys) if (this.keyMap.get(k) === lease) this.keyMap.delete(k);
    this.leaseMap.delete(id);
    this.unschedule(lease);
    this.observer?.revoked();
    return { keys, change: { delete: id } };
  }

  /** Applies a put with a lease. A key attached elsewhere moves to this lease. */
  attach(id: bigint, keys: Iterable<Uint8Array>): void {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    for (const key of keys) {
      const k = keyToString(key);
      const prev = this.keyMap.get(k);
      if (prev !== undefined && prev !== lease) prev.keys.delete(k);
      lease.keys.add(k);
      this.keyMap.set(k, lease);
    }
  }

  /** Applies a delete or a re-put of keys that had this lease. An unknown lease is ignored (already revoked). */
  detach(id: bigint, keys: Iterable<Uint8Array>): void {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return;
    for (const key of keys) {
      const k = keyToString(key);
      if (lease.keys.delete(k) && this.keyMap.get(k) === lease) this.keyMap.delete(k);
    }
  }

  /**
   * Applies a LeaseCheckpoint: records the remaining TTL a future leader resumes from. It does not move
   * the current leader's expiry. Unknown leases are ignored, as etcd does (the lease was revoked since).
   */
  checkpoint(id: bigint, remainingTTL: number): { put: LeaseRecord } | undefined {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return undefined;
    lease.remainingTTL = Math.max(0, remainingTTL);
    lease.checkpointInFlight = false;
    if (this.primary) this.scheduleCheckpoint(lease, this.now());
    return { put: record(lease) };
  }

  /**
   * Rebuilds the lessor from persisted records and the keys of the mvcc store (after a restart or a
   * snapshot). Leases are kept without expiry until promote. Returns the keys whose lease is missing.
   */
  recover(records: Iterable<LeaseRecord>, keys: Iterable<LeasedKey>): { orphanKeys: Uint8Array[] } {
    this.leaseMap.clear();
    this.keyMap.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    for (const r of records) {
      this.leaseMap.set(r.id, new Lease(r.id, Math.max(r.ttl, this.minTTL), r.remainingTTL));
    }
    const orphanKeys: Uint8Array[] = [];
    for (const kv of keys) {
      if (kv.lease === undefined || kv.lease === 0n) continue;
      if (this.leaseMap.has(kv.lease)) this.attach(kv.lease, [kv.key]);
      else orphanKeys.push(kv.key);
    }
    if (this.primary) this.promote(0);
    return { orphanKeys };
  }

  // ---- leader-local operations ----

  /**
   * Becomes the primary lessor. Call it when this member is leader and has applied every entry of the
   * previous terms (etcd does it on applying the leader's first, empty entry of its term). Every lease
   * restarts from its checkpointed remaining TTL, or its full TTL, plus `extendMs` (the election timeout)
   * so no lease expires because of the leader change itself.
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.now();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    const leases = [...this.leaseMap.values()];
    for (const l of leases) {
      l.expiryEntry = undefined;
      l.checkpointEntry = undefined;
      l.checkpointInFlight = false;
      l.expiry = now + extendMs + l.resumeTTL() * 1000;
    }
    if (leases.length >= this.revokeRate) this.spreadExpiries(leases);
    for (const l of leases) {
      this.setExpiry(l, l.expiry);
      this.scheduleCheckpoint(l, now);
    }
  }

  /** Stops being the primary lessor: leases no longer expire here. */
  demote(): void {
    this.primary = false;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    for (const l of this.leaseMap.values()) {
      l.expiry = FOREVER;
      l.expiryEntry = undefined;
      l.checkpointEntry = undefined;
      l.checkpointInFlight = false;
    }
  }

  /** Keep-alive, on the leader only (not through raft). Refreshes the lease to its full TTL. */
  renew(id: bigint): RenewResult {
    if (!this.primary) throw new NotPrimaryError();
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const now = this.now();
    // An expired lease is already handed out (or about to be) for revoke; it cannot come back.
    if (lease.expiry <= now) throw new LeaseNotFoundError();
    this.setExpiry(lease, now + lease.ttl * 1000);
    this.scheduleCheckpoint(lease, now);
    this.observer?.renewed();
    // A checkpoint taken before this renew (applied, or still on its way through raft) would let a new
    // leader resume from less than the client was just promised, so it is cleared through raft too.
    if (this.checkpointing && (lease.remainingTTL > 0 || lease.checkpointInFlight)) {
      return { ttl: lease.ttl, checkpoint: { id, remainingTTL: 0 } };
    }
    return { ttl: lease.ttl };
  }

  /**
   * IDs of expired leases to propose revokes for, earliest expiry first. Bounded by `limit` and by the
   * revoke rate (tokens refill at revokeRate/s up to revokeRate/2), so call it as often as you like.
   * A lease handed out is not handed out again for expiredRetryMs, in case its proposal was lost.
   */
  expired(limit = Number.POSITIVE_INFINITY): bigint[] {
    const out: bigint[] = [];
    if (!this.primary) return out;
    const now = this.now();
    const top = this.expiryQueue.peek();
    if (top === undefined || top.at > now) return out;
    const n = Math.min(limit, this.revokeLimit.available(now));
    while (out.length < n) {
      const e = this.expiryQueue.peek();
      if (e === undefined || e.at > now) break;
      const lease = e.value;
      if (lease.expiry > now) {
        this.expiryQueue.update(e, lease.expiry);
        continue;
      }
      out.push(lease.id);
      this.expiryQueue.update(e, now + this.expiredRetryMs);
    }
    this.revokeLimit.take(out.length);
    return out;
  }

  /** Checkpoints due now, at most `limit`, for the server to propose as one LeaseCheckpoint request. */
  dueCheckpoints(limit = 1000): LeaseCheckpoint[] {
    const out: LeaseCheckpoint[] = [];
    if (!this.primary || !this.checkpointing) return out;
    const now = this.now();
    while (out.length < limit) {
      const e = this.checkpointQueue.peek();
      if (e === undefined || e.at > now) break;
      const lease = e.value;
      const left = lease.expiry - now;
      if (left <= 0) {
        // Expiry takes it from here.
        this.checkpointQueue.remove(e);
        lease.checkpointEntry = undefined;
        continue;
      }
      const remainingTTL = Math.ceil(left / 1000);
      if (remainingTTL < lease.ttl) {
        out.push({ id: lease.id, remainingTTL });
        lease.checkpointInFlight = true;
      }
      // Rescheduled here rather than on apply, so a lost proposal is retried next interval.
      if (left > this.checkpointIntervalMs) this.checkpointQueue.update(e, now + this.checkpointIntervalMs);
      else {
        this.checkpointQueue.remove(e);
        lease.checkpointEntry = undefined;
      }
    }
    return out;
  }

  /** LeaseTimeToLive, on the leader only (followers forward it: they do not know the expiry). */
  timeToLive(id: bigint, withKeys = true): TimeToLive {
    if (!this.primary) throw new NotPrimaryError();
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const ttl = Math.max(0, Math.trunc((lease.expiry - this.now()) / 1000));
    return { id, ttl, grantedTTL: lease.ttl, keys: withKeys ? sortedKeys(lease) : [] };
  }

  // ---- replicated reads, valid on any member ----

  has(id: bigint): boolean {
    return this.leaseMap.has(id);
  }

  /** The replicated part of a lease, or undefined. */
  lookup(id: bigint): LeaseRecord | undefined {
    const lease = this.leaseMap.get(id);
    return lease === undefined ? undefined : record(lease);
  }

  /** The keys attached to a lease, in key order ([] for an unknown lease); valid on any member. */
  keysOf(id: bigint): Uint8Array[] {
    const lease = this.leaseMap.get(id);
    return lease === undefined ? [] : sortedKeys(lease);
  }

  /** The lease a key is attached to, or 0n. */
  getLease(key: Uint8Array): bigint {
    return this.keyMap.get(keyToString(key))?.id ?? 0n;
  }

  /** Every lease ID, soonest expiry first (by ID when expiries tie, e.g. on followers). */
  leases(): bigint[] {
    return [...this.leaseMap.values()]
      .sort((a, b) => a.expiry - b.expiry || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((l) => l.id);
  }

  // ---- internals ----

  private setExpiry(lease: Lease, at: number): void {
    lease.expiry = at;
    if (lease.expiryEntry !== undefined && lease.expiryEntry.index >= 0) {
      this.expiryQueue.update(lease.expiryEntry, at);
    } else {
      lease.expiryEntry = this.expiryQueue.push(lease, at);
    }
  }

  /** Queues the lease's next checkpoint if it will still be alive one interval from now. */
  private scheduleCheckpoint(lease: Lease, now: number): void {
    if (!this.primary || !this.checkpointing) return;
    if (lease.checkpointEntry !== undefined && lease.checkpointEntry.index >= 0) return;
    if (lease.expiry - now <= this.checkpointIntervalMs) return;
    lease.checkpointEntry = this.checkpointQueue.push(lease, now + this.checkpointIntervalMs);
  }

  private unschedule(lease: Lease): void {
    if (lease.expiryEntry !== undefined) this.expiryQueue.remove(lease.expiryEntry);
    if (lease.checkpointEntry !== undefined) this.checkpointQueue.remove(lease.checkpointEntry);
    lease.expiryEntry = undefined;
    lease.checkpointEntry = undefined;
  }

  /**
   * After a leader change many leases can land on the same instant (all restarted from full TTL). Push
   * the ones beyond 3/4 of the revoke rate later, spaced evenly, so expiry never outruns the revoke
   * rate. Leases only ever move later: expiring late is allowed, early is not.
   */
  private spreadExpiries(leases: Lease[]): void {
    leases.sort((a, b) => a.expiry - b.expiry);
    const spacing = 1000 / Math.max(1, Math.floor((3 * this.revokeRate) / 4));
    let next = Number.NEGATIVE_INFINITY;
    for (const l of leases) {
      if (l.expiry < next) l.expiry = next;
      next = l.expiry + spacing;
    }
  }
}

function record(lease: Lease): LeaseRecord {
  return { id: lease.id, ttl: lease.ttl, remainingTTL: lease.remainingTTL };
}

// One lease's state. `ttl`, `remainingTTL` and `keys` are replicated (changed only by applied entries);
// `expiry` and the queue entries are local to the leader and are rebuilt on promote.

import type { TimerEntry } from './timer-queue.js';

/** No expiry: a follower's leases, and every lease before promote. */
export const FOREVER = Number.POSITIVE_INFINITY;

export class Lease {
  /** Keys attached to the lease, as latin1 strings (one char per byte, so order is bytewise). */
  readonly keys = new Set<string>();
  /** When the leader considers the lease expired (ms on the lessor's clock). */
  expiry = FOREVER;
  expiryEntry: TimerEntry<Lease> | undefined;
  checkpointEntry: TimerEntry<Lease> | undefined;
  /** The leader handed out a checkpoint for this lease that it has not seen applied yet. */
  checkpointInFlight = false;

  constructor(
    readonly id: bigint,
    /** Granted TTL in seconds. */
    public ttl: number,
    /** Last checkpointed remaining TTL in seconds; 0 = unset. */
    public remainingTTL = 0,
  ) {}

  /** Seconds a newly promoted leader grants: the checkpointed remaining TTL if any, else the full TTL. */
  resumeTTL(): number {
    return this.remainingTTL > 0 ? this.remainingTTL : this.ttl;
  }
}

export function keyToString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export function stringToKey(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** Sorted bytewise, so every member deletes a revoked lease's keys in the same order. */
export function sortedKeys(lease: Lease): Uint8Array[] {
  return [...lease.keys].sort().map(stringToKey);
}

// Read and write transactions over the store, the level etcd calls TxnRead/TxnWrite: a write
// transaction is one main revision; each change in it takes the next sub revision.
import { ErrCompacted, ErrFutureRev } from './errors';
import { type Event, type KeyValue, tombstoneKeyValue } from './key-value';
import type { KVStore } from './kv-store';
import { type IndexHit, NO_END } from './tree-index';

export interface RangeOptions {
  /** At most this many keys (0 = no limit). */
  limit?: number;
  /** Read at this revision (0 = current). */
  rev?: number;
  /** Only count, return no key-values. */
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Keys in the range at the read revision, before `limit`. */
  count: number;
  /** The store's current revision when the range was read. */
  rev: number;
}

/**
 * The index form of a range end: undefined = the single key `key`; a lone zero byte = every key
 * >= key (etcd's convention); otherwise keys < end.
 */
export function rangeEndString(end: Uint8Array | undefined): string | undefined {
  if (end === undefined || end.length === 0) return undefined;
  if (end.length === 1 && end[0] === 0) return NO_END;
  return keyString(end);
}

export function keyString(key: Uint8Array): string {
  // Buffers (what callers pass almost always) convert without a view allocation
  if (Buffer.isBuffer(key)) return key.toString('latin1');
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
}

export class TxnRead {
  constructor(
    protected readonly store: KVStore,
    /** Revision this transaction reads at. */
    readonly beginRev: number,
  ) {}

  /** The store's revision as this transaction sees it. */
  rev(): number {
    return this.beginRev;
  }

  range(key: Uint8Array, end: Uint8Array | undefined, options: RangeOptions = {}): RangeResult {
    this.store.counts.ranges++;
    return this.rangeAt(key, end, options, this.beginRev);
  }

  protected rangeAt(
    key: Uint8Array,
    end: Uint8Array | undefined,
    options: RangeOptions,
    curRev: number,
  ): RangeResult {
    let rev = options.rev ?? 0;
    if (rev > curRev) throw new ErrFutureRev();
    if (rev <= 0) rev = curRev;
    const compacted = this.store.compactRevision;
    if (rev < compacted) throw new ErrCompacted(compacted);
    // count_only collects no hits: limit -1 stops collecting at once, the count still runs
    const limit = options.countOnly ? -1 : (options.limit ?? 0);
    // at the newest revision in the index, liveness decides visibility and counts come cheap; a
    // read transaction kept across later writes is not at the head any more
    const head = rev === curRev && curRev === this.store.headRevision();
    const { hits, total } = this.store.index.range(keyString(key), rangeEndString(end), rev, limit, head);
    if (options.countOnly) return { kvs: [], count: total, rev: curRev };
    return { kvs: this.store.readValues(hits), count: total, rev: curRev };
  }
}

export class TxnWrite extends TxnRead {
  /** Changes made so far, in sub revision order (deletes as tombstone key-values). */
  readonly changes: KeyValue[] = [];
  readonly events: Event[] = [];
  private ended = false;

  /** Reads see this transaction's own earlier changes. */
  override range(key: Uint8Array, end: Uint8Array | undefined, options: RangeOptions = {}): RangeResult {
    this.store.counts.ranges++;
    return this.rangeAt(key, end, options, this.changes.length > 0 ? this.beginRev + 1 : this.beginRev);
  }

  override rev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  /** Writes key=value at this transaction's revision; returns that revision. */
  put(key: Uint8Array, value: Uint8Array, lease: bigint = 0n): number {
    this.checkOpen();
    const main = this.beginRev + 1;
    const sub = this.changes.length;
    const ks = keyString(key);
    const prev = this.store.index.get(ks, main);
    const kv: KeyValue = {
      key: Buffer.from(key),
      createRevision: prev === undefined ? main : prev.createMain,
      modRevision: main,
      version: prev === undefined ? 1 : prev.version + 1,
      value: Buffer.from(value),
      lease,
    };
    this.store.writeRecord(ks, main, sub, kv, false);
    const counts = this.store.counts;
    counts.puts++;
    counts.putBytes += key.length + value.length;
    this.changes.push(kv);
    this.events.push({ type: 'PUT', kv });
    return main;
  }

  /** Deletes the keys live in [key, end); returns how many and the revision after. */
  deleteRange(key: Uint8Array, end: Uint8Array | undefined): { deleted: number; rev: number } {
    this.checkOpen();
    this.store.counts.deletes++;
    const main = this.beginRev + 1;
    const readRev = this.changes.length > 0 ? main : this.beginRev;
    const { hits } = this.store.index.range(keyString(key), rangeEndString(end), readRev, 0, true);
    for (const hit of hits) this.deleteHit(hit, main);
    return { deleted: hits.length, rev: this.changes.length > 0 ? main : this.beginRev };
  }

  private deleteHit(hit: IndexHit, main: number): void {
    const kv = tombstoneKeyValue(Buffer.from(hit.ki.key, 'latin1'), main);
    this.store.writeRecord(hit.ki.key, main, this.changes.length, kv, true);
    this.changes.push(kv);
    this.events.push({ type: 'DELETE', kv });
  }

  /** Ends the transaction: the store's revision moves on if anything changed. */
  end(): Event[] {
    if (this.ended) return this.events;
    this.ended = true;
    this.store.endWrite(this);
    return this.events;
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('mvcc: write transaction already ended');
  }
}

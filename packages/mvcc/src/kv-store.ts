// The multi-version store: an in-memory index of every key's revisions over RocksDB rows
// revision -> KeyValue. Everything here is synchronous: a write transaction is visible to reads
// as soon as it ends; `commit()` lands the pending rows (with the consistent index) in RocksDB as
// one WriteBatch.

import { applyDeleteRange, applyPut, applyRange, applyTxn, isTxnReadOnly } from './apply';
import type { Backend, Namespace } from './backend';
import { runCompaction } from './compaction';
import { ErrCompacted, ErrFutureRev } from './errors';
import { type HashResult, hashKV } from './hash';
import { revisionId } from './key-index';
import {
  decodeKeyValue,
  type Event,
  encodeKeyValue,
  isTombstoneRecord,
  type KeyValue,
  recordCreateAndVersion,
  recordKeyString,
} from './key-value';
import { TxnRead, TxnWrite } from './kv-txn';
import type {
  ApplyChecks,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './request';
import { encodeRevision, readU64, revisionRowKey } from './revision';
import { type IndexHit, TreeIndex } from './tree-index';
import { ValueCache } from './value-cache';

export interface KVStoreOptions {
  /** Bytes of decoded key-values kept in memory for reads (default 64 MiB). */
  cacheBytes?: number;
  /** Rows removed per RocksDB batch by compaction (default 1000). */
  compactionBatch?: number;
  /** Pause between compaction batches in ms (default 0: just yield to the event loop). */
  compactionPauseMs?: number;
  /** Told how long compactions take (metrics); none by default. */
  observer?: CompactionObserver;
}

/** Durations of compaction phases in milliseconds, for etcd's compaction histograms. */
export interface CompactionObserver {
  /** The in-memory index compaction (the part that blocks writes). */
  indexCompaction(ms: number): void;
  /** One batch of physical row removal (the part that blocks the event loop). */
  dbCompactionBatch(ms: number, keys: number): void;
  /** A whole physical compaction, from its start to its last batch. */
  dbCompaction(ms: number): void;
}

/**
 * Operations this store has seen, as etcd's mvcc counts them: every range, put and delete call on a
 * transaction, a txn when one transaction made more than one of those. Plain numbers so the hot path
 * pays an increment; metrics read them when scraped.
 */
export class MvccCounts {
  ranges = 0;
  puts = 0;
  deletes = 0;
  txns = 0;
  putBytes = 0;
  events = 0;
  compactedKeys = 0;

  get ops(): number {
    return this.ranges + this.puts + this.deletes;
  }
}

const META_CONSISTENT_INDEX = Buffer.from('consistent_index');
const META_SCHEDULED_COMPACT = Buffer.from('scheduled_compact_rev');
const META_FINISHED_COMPACT = Buffer.from('finished_compact_rev');

/**
 * Row keys of the 'meta' namespace, each an 8-byte big-endian number: for code that converts a backend
 * to or from another layout (etcd's bbolt snapshots). Rows of the 'key' namespace are
 * encodeRevision(main, sub) -> encodeKeyValue(kv, tombstone).
 */
export const META_KEYS = {
  consistentIndex: META_CONSISTENT_INDEX,
  scheduledCompactRev: META_SCHEDULED_COMPACT,
  finishedCompactRev: META_FINISHED_COMPACT,
} as const;

/** Revision id for the value cache: a number when it fits, else the string form. */
function cacheId(main: number, sub: number): number | string {
  return sub < 1024 ? main * 1024 + sub : revisionId(main, sub);
}

export class KVStore {
  /** @internal */ readonly index = new TreeIndex();
  /** @internal */ readonly keys: Namespace;
  /** @internal */ readonly meta: Namespace;
  readonly counts = new MvccCounts();
  private currentRev = 1;
  private compactRev = 0;
  private consistentIdx = 0;
  private writing: TxnWrite | undefined;
  // rows written by ended transactions and not yet committed to RocksDB
  private uncommitted = new Map<number | string, KeyValue>();
  private readonly cache: ValueCache;
  private compactionChain: Promise<void> = Promise.resolve();
  private queuedCompactions: number[] = [];
  private closed = false;

  protected constructor(
    readonly backend: Backend,
    readonly options: KVStoreOptions = {},
  ) {
    this.keys = backend.namespace('key');
    this.meta = backend.namespace('meta');
    this.cache = new ValueCache(options.cacheBytes ?? 64 * 1024 * 1024);
  }

  /** Opens the store on `backend`, rebuilding the index from RocksDB and finishing a compaction a crash interrupted. */
  static async open(backend: Backend, options: KVStoreOptions = {}): Promise<KVStore> {
    const s = new KVStore(backend, options);
    await s.restore();
    return s;
  }

  protected async restore(): Promise<void> {
    this.consistentIdx = readNumber(this.meta.get(META_CONSISTENT_INDEX));
    const scheduled = readNumber(this.meta.get(META_SCHEDULED_COMPACT));
    const finished = readNumber(this.meta.get(META_FINISHED_COMPACT));
    let last = 0;
    const index = this.index;
    this.keys.scan((row, off, v) => {
      const main = readU64(row, off);
      const sub = readU64(row, off + 8);
      const key = recordKeyString(v);
      // a tombstone whose key has no live history left is a leftover of an interrupted compaction
      if (isTombstoneRecord(v)) index.tombstone(key, main, sub);
      else {
        const { create, version } = recordCreateAndVersion(v);
        index.restore(key, main, sub, create, version);
      }
      last = main;
    });
    this.currentRev = Math.max(last, scheduled, 1);
    if (scheduled > 0) {
      this.compactRev = scheduled;
      this.index.compact(scheduled);
    }
    if (scheduled > finished) {
      this.queuedCompactions.push(scheduled);
      this.startQueuedCompactions();
      await this.compactionChain;
    }
  }

  /** The revision of the last write transaction that changed something. */
  get rev(): number {
    return this.currentRev;
  }

  /** Reads below this revision fail with ErrCompacted. */
  get compactRevision(): number {
    return this.compactRev;
  }

  /** The consistent index committed with the last batch (or set since). */
  get consistentIndex(): number {
    return this.consistentIdx;
  }

  /** Keys live at the current revision. */
  liveKeys(): number {
    return this.index.liveCount();
  }

  /** @internal the newest revision in the index, counting an open write transaction's changes */
  headRevision(): number {
    const w = this.writing;
    return w !== undefined && w.changes.length > 0 ? w.beginRev + 1 : this.currentRev;
  }

  read(): TxnRead {
    this.checkOpen();
    return new TxnRead(this, this.currentRev);
  }

  /** Starts the write transaction (one at a time); `end()` it to publish its revision. */
  write(): TxnWrite {
    this.checkOpen();
    if (this.writing !== undefined) throw new Error('mvcc: a write transaction is already open');
    this.writing = new TxnWrite(this, this.currentRev);
    return this.writing;
  }

  /** etcd's Range: filters, sorting, limit/more/count as etcd computes them. */
  range(req: RangeRequest): RangeResponse {
    return applyRange(this.read(), req);
  }

  /** etcd counts a txn when one transaction made more than one range, put or delete. */
  private countTxn(opsBefore: number): void {
    if (this.counts.ops - opsBefore > 1) this.counts.txns++;
  }

  /** etcd's Put, in its own revision. */
  put(req: PutRequest, checks?: ApplyChecks): PutResponse {
    const txn = this.write();
    const ops = this.counts.ops;
    try {
      return applyPut(txn, req, checks);
    } finally {
      txn.end();
      this.countTxn(ops);
    }
  }

  /** etcd's DeleteRange; deleting nothing does not move the revision. */
  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    const txn = this.write();
    const ops = this.counts.ops;
    try {
      return applyDeleteRange(txn, req);
    } finally {
      txn.end();
      this.countTxn(ops);
    }
  }

  /** etcd's Txn: compares, then one branch (nested txns included) in a single revision. */
  txn(req: TxnRequest, checks?: ApplyChecks): TxnResponse {
    const read = this.read();
    const ops = this.counts.ops;
    let txn: TxnWrite | undefined;
    try {
      if (isTxnReadOnly(req)) return applyTxn(read, undefined, req, this.compactRev, checks).resp;
      return applyTxn(read, () => (txn = this.write()), req, this.compactRev, checks).resp;
    } finally {
      txn?.end();
      this.countTxn(ops);
    }
  }

  /**
   * Lands every change since the last commit in RocksDB as one WriteBatch, together with
   * `consistentIndex` (when given) and whatever else the server put into the backend's pending
   * batch. Synchronous: the batch is in RocksDB when this returns.
   */
  commit(consistentIndex?: number): void {
    this.checkOpen();
    if (consistentIndex !== undefined) {
      this.consistentIdx = consistentIndex;
      this.meta.put(META_CONSISTENT_INDEX, writeNumber(consistentIndex));
    }
    this.backend.commit();
    if (this.uncommitted.size > 0) {
      for (const [id, kv] of this.uncommitted) this.cachePut(id, kv);
      this.uncommitted = new Map();
    }
    this.startQueuedCompactions();
  }

  /**
   * Compacts history at `rev`: reads below it fail from now on; superseded rows are removed in
   * bounded batches after the next `commit()` (which persists the scheduled marker). The promise
   * settles when the physical removal is done.
   */
  compact(rev: number): Promise<void> {
    this.checkOpen();
    if (rev <= this.compactRev) throw new ErrCompacted(this.compactRev);
    if (rev > this.currentRev) throw new ErrFutureRev();
    this.compactRev = rev;
    this.meta.put(META_SCHEDULED_COMPACT, writeNumber(rev));
    const t0 = performance.now();
    this.index.compact(rev);
    this.options.observer?.indexCompaction(performance.now() - t0);
    // cached rows of removed revisions can no longer be asked for; they age out of the cache
    this.queuedCompactions.push(rev);
    const p = new Promise<void>((resolve, reject) => {
      this.compactionWaiters.push({ rev, resolve, reject });
    });
    // callers may fire and forget; a failure must not become an unhandled rejection
    p.catch(() => undefined);
    return p;
  }

  private compactionWaiters: { rev: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  private startQueuedCompactions(): void {
    for (const rev of this.queuedCompactions.splice(0)) {
      this.compactionChain = this.compactionChain
        .then(async () => {
          if (this.closed) return;
          await runCompaction(this, rev, {
            batch: this.options.compactionBatch ?? 1000,
            pauseMs: this.options.compactionPauseMs ?? 0,
            observer: this.options.observer,
          });
          if (!this.closed) this.meta.writeNow({ put: [[META_FINISHED_COMPACT, writeNumber(rev)]] });
        })
        .then(
          () => this.settleCompaction(rev, undefined),
          (e: unknown) => this.settleCompaction(rev, e),
        );
    }
  }

  private settleCompaction(rev: number, err: unknown): void {
    const done = this.compactionWaiters.filter((w) => w.rev <= rev);
    this.compactionWaiters = this.compactionWaiters.filter((w) => w.rev > rev);
    for (const w of done)
      if (err === undefined) w.resolve();
      else w.reject(err);
  }

  /** Hash of the key-value history visible at `rev` (0 = current), for corruption checks. */
  hashKV(rev = 0): HashResult {
    this.checkOpen();
    if (rev > this.currentRev) throw new ErrFutureRev();
    if (rev > 0 && rev < this.compactRev) throw new ErrCompacted(this.compactRev);
    return hashKV(this, rev <= 0 ? this.currentRev : rev);
  }

  /** @internal rows not yet in RocksDB, oldest first */
  uncommittedRows(): Iterable<[number | string, KeyValue]> {
    return this.uncommitted;
  }

  /** Waits for running compactions, commits what is pending, closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    await this.compactionChain;
    for (const w of this.compactionWaiters.splice(0)) w.resolve();
    await this.backend.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('mvcc: store is closed');
  }

  /** @internal called by TxnWrite for every change */
  writeRecord(key: string, main: number, sub: number, kv: KeyValue, tombstone: boolean): void {
    if (tombstone) this.index.tombstone(key, main, sub);
    else this.index.put(key, main, sub);
    this.keys.putFull(revisionRowKey(this.keys.prefix, main, sub), encodeKeyValue(kv, tombstone));
    this.uncommitted.set(cacheId(main, sub), kv);
  }

  /** @internal called by TxnWrite.end */
  endWrite(txn: TxnWrite): void {
    if (this.writing === txn) this.writing = undefined;
    if (txn.changes.length === 0) return;
    this.currentRev = txn.beginRev + 1;
    for (const l of this.writeListeners) l(this.currentRev, txn.events);
    this.notify(this.currentRev, txn.events);
  }

  /** Hook for the watchable store: called once per write transaction that changed something. */
  protected notify(_rev: number, _events: Event[]): void {}

  private writeListeners: ((rev: number, events: Event[]) => void)[] = [];

  /**
   * Calls `listener` after every write transaction that changed something, with its revision and
   * events (PUT events carry the lease; DELETE events name the deleted key), e.g. so the server
   * can keep its lessor's key attachments in step. Returns an unsubscribe function.
   */
  onWrite(listener: (rev: number, events: Event[]) => void): () => void {
    this.writeListeners.push(listener);
    return () => {
      this.writeListeners = this.writeListeners.filter((l) => l !== listener);
    };
  }

  /** @internal key-values for index hits, from memory where possible, else one RocksDB multi-get. */
  readValues(hits: IndexHit[]): KeyValue[] {
    const out: KeyValue[] = new Array(hits.length);
    let missing: number[] | undefined;
    for (let i = 0; i < hits.length; i++) {
      const h = hits[i];
      const id = cacheId(h.modMain, h.modSub);
      const kv = this.cache.get(id) ?? this.uncommitted.get(id);
      if (kv !== undefined) out[i] = kv;
      else (missing ??= []).push(i);
    }
    if (missing !== undefined) {
      const rows = this.keys.getMany(missing.map((i) => encodeRevision(hits[i].modMain, hits[i].modSub)));
      for (let j = 0; j < missing.length; j++) {
        const row = rows[j];
        const h = hits[missing[j]];
        if (row === undefined)
          throw new Error(`mvcc: revision ${h.modMain}_${h.modSub} missing from the backend`);
        const kv = decodeKeyValue(row);
        this.cachePut(cacheId(h.modMain, h.modSub), kv);
        out[missing[j]] = kv;
      }
    }
    return out;
  }

  /** @internal one revision's key-value (tombstones included), or undefined if not stored. */
  readRevision(main: number, sub: number): KeyValue | undefined {
    const id = cacheId(main, sub);
    const kv = this.cache.get(id) ?? this.uncommitted.get(id);
    if (kv !== undefined) return kv;
    const row = this.keys.get(encodeRevision(main, sub));
    return row === undefined ? undefined : decodeKeyValue(row);
  }

  private cachePut(id: number | string, kv: KeyValue): void {
    this.cache.set(id, kv);
  }

  /** @internal compaction drops removed revisions from the cache too */
  forget(main: number, sub: number): void {
    this.cache.delete(cacheId(main, sub));
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }
}

function readNumber(b: Buffer | undefined): number {
  return b === undefined || b.length < 8 ? 0 : Number(b.readBigUInt64BE(0));
}

function writeNumber(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

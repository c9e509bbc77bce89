// One RocksDB holding several namespaces (a one-byte-free name prefix per namespace), and one
// pending WriteBatch that spans them: the store, the lessor and the server's apply metadata all
// add to it, and `commit()` lands it atomically. `defragment()` rewrites the live rows into a fresh
// RocksDB while requests go on, then switches to it (backend-layout.ts says where each lives).
import { mkdirSync } from 'node:fs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import {
  activeGeneration,
  generationDir,
  removeGeneration,
  removeOtherGenerations,
  switchGeneration,
} from './backend-layout';

// @nxtedition/rocksdb ships no types; this is the part of it we use.
interface RocksIterator {
  _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean };
  _closeSync(): void;
}
interface RocksBatch {
  _put(key: Uint8Array, value: Uint8Array, options: object): void;
  _del(key: Uint8Array, options: object): void;
  _writeSync(options: object): void;
  _closeSync(): void;
  readonly length: number;
}
interface RocksDB {
  open(options: object): Promise<void>;
  close(): Promise<void>;
  batch(): RocksBatch;
  iterator(options: object): RocksIterator;
  _getManySync(keys: Uint8Array[], options: object): (Buffer | undefined)[];
  getProperty(name: string): string;
}
const { RocksLevel } = require('@nxtedition/rocksdb') as {
  RocksLevel: new (location: string, options: object) => RocksDB;
};

export interface BackendOptions {
  /** fsync each commit (default false: the server's WAL is the durable log, as in etcd). */
  sync?: boolean;
  /** RocksDB block cache bytes (default 32 MiB). */
  cacheBytes?: number;
  /** Compress SST blocks with zstd (default false: values are small and reads are hot, as bbolt keeps them raw). */
  compression?: boolean;
}

export interface IterateOptions {
  /** Inclusive lower bound inside the namespace (default: its start). */
  gte?: Uint8Array;
  /** Exclusive upper bound inside the namespace (default: its end). */
  lt?: Uint8Array;
  reverse?: boolean;
  /** Rows fetched per native call. */
  chunk?: number;
}

/** What sizes() reports: etcd's backend Size and SizeInUse (Status dbSize / dbSizeInUse). */
export interface BackendSizes {
  /** Bytes the database takes: live SST files and memtables; the quota compares this. */
  total: number;
  /** `total` less the rows deleted since this database was written (what a defragment would keep). */
  inUse: number;
}

export interface DefragmentResult {
  before: BackendSizes;
  after: BackendSizes;
  /** Rows copied into the new database. */
  rows: number;
  ms: number;
}

/** One open RocksDB and what is counted against it. */
interface Handle {
  db: RocksDB;
  generation: number;
  /** bytes put since open: bounds the memtables' share of the size */
  written: number;
  /** bytes of rows deleted since open (callers tell), for sizes().inUse */
  freed: number;
  iterators: number;
  /** set once replaced: closes it when its last iterator closes */
  retire?: () => void;
}

/** A change recorded while a defragment copies: [full key, value] (no value = delete). */
type Op = [Buffer, Buffer | undefined];

const NO_OPTIONS = {};
const DEFRAG_ROWS_PER_TURN = 1000;
/** The copy is fsynced every this many bytes, so that no one turn syncs the whole of it. */
const DEFRAG_SYNC_BYTES = 4 * 1024 * 1024;
/** A key outside every namespace: its delete is the last, synced write of a defragment's copy. */
const SYNC_MARK = Buffer.from([0xff, 0]);

/** A key space inside the backend. Keys passed in and handed out are without the prefix. */
export class Namespace {
  readonly prefix: Buffer;
  private readonly end: Buffer;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
  ) {
    if (name.length === 0 || name.includes('\0'))
      throw new Error(`invalid namespace name ${JSON.stringify(name)}`);
    this.prefix = Buffer.from(`${name}\0`, 'latin1');
    this.end = Buffer.from(`${name}\x01`, 'latin1');
  }

  fullKey(key: Uint8Array): Buffer {
    const b = Buffer.allocUnsafe(this.prefix.length + key.length);
    this.prefix.copy(b, 0);
    b.set(key, this.prefix.length);
    return b;
  }

  /** Reads what RocksDB holds (not what is still pending in the open batch). */
  get(key: Uint8Array): Buffer | undefined {
    return this.backend.db()._getManySync([this.fullKey(key)], NO_OPTIONS)[0];
  }

  getMany(keys: Uint8Array[]): (Buffer | undefined)[] {
    return this.backend.db()._getManySync(
      keys.map((k) => this.fullKey(k)),
      NO_OPTIONS,
    );
  }

  /** Adds a put of an already prefixed key (see fullKey) to the pending batch. */
  putFull(fullKey: Uint8Array, value: Uint8Array): void {
    this.backend.stage(fullKey, value);
  }

  /** Adds a put to the backend's pending batch. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.backend.stage(this.fullKey(key), value);
  }

  /** Adds a delete to the backend's pending batch. */
  del(key: Uint8Array): void {
    this.backend.stage(this.fullKey(key), undefined);
  }

  /** Yields [key, value] in key order (or reverse), reading RocksDB in chunks. */
  *iterate(options: IterateOptions = {}): Generator<[Buffer, Buffer]> {
    const it = this.backend.iterator({
      gte: options.gte ? this.fullKey(options.gte) : this.prefix,
      lt: options.lt ? this.fullKey(options.lt) : this.end,
      reverse: options.reverse === true,
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const p = this.prefix.length;
    try {
      for (;;) {
        const { rows, finished } = it._nextvSync(options.chunk ?? 1000, NO_OPTIONS);
        for (let i = 0; i < rows.length; i += 2) yield [rows[i].subarray(p), rows[i + 1]];
        if (finished || rows.length === 0) return;
      }
    } finally {
      it._closeSync();
    }
  }

  /**
   * Calls `fn(row, offset, value)` for each row in key order; the key inside the namespace is
   * `row` from `offset` on. Cheaper than iterate() for full scans (no generator, no sub-buffers).
   */
  scan(fn: (row: Buffer, offset: number, value: Buffer) => void, chunk = 1000): void {
    const it = this.backend.iterator({
      gte: this.prefix,
      lt: this.end,
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const p = this.prefix.length;
    try {
      for (;;) {
        const { rows, finished } = it._nextvSync(chunk, NO_OPTIONS);
        for (let i = 0; i < rows.length; i += 2) fn(rows[i], p, rows[i + 1]);
        if (finished || rows.length === 0) return;
      }
    } finally {
      it._closeSync();
    }
  }

  /**
   * A batch of this namespace's changes written on its own, outside the pending batch. `freed`:
   * the bytes (keys and values) of the rows deleted, when the caller knows them (sizes().inUse).
   */
  writeNow(
    ops: { del?: Uint8Array[]; put?: [Uint8Array, Uint8Array][]; freed?: number },
    sync = false,
  ): void {
    const list: Op[] = [];
    for (const k of ops.del ?? []) list.push([this.fullKey(k), undefined]);
    for (const [k, v] of ops.put ?? []) list.push([this.fullKey(k), Buffer.from(v)]);
    this.backend.writeNow(list, sync, ops.freed ?? 0);
  }
}

export class Backend {
  private active: Handle | undefined;
  private readonly retired = new Set<Handle>();
  private batch: RocksBatch | undefined;
  private readonly namespaces = new Map<string, Namespace>();
  private readonly sync: boolean;
  private readonly openOptions: object;
  /** While a defragment copies: the changes committed since its snapshot, and the open batch's. */
  private rewrite: { committed: Op[]; pending: Op[] } | undefined;
  private defragRun: Promise<DefragmentResult> | undefined;

  private constructor(
    readonly path: string,
    options: BackendOptions,
  ) {
    this.sync = options.sync === true;
    this.openOptions = {
      createIfMissing: true,
      compression: options.compression === true,
      cacheSize: options.cacheBytes ?? 32 * 1024 * 1024,
    };
  }

  static async open(path: string, options: BackendOptions = {}): Promise<Backend> {
    mkdirSync(path, { recursive: true });
    const gen = activeGeneration(path);
    removeOtherGenerations(path, gen.n);
    const b = new Backend(path, options);
    b.active = await b.openHandle(gen.n);
    return b;
  }

  private async openHandle(generation: number): Promise<Handle> {
    const db = new RocksLevel(generationDir(this.path, generation), {});
    await db.open(this.openOptions);
    return { db, generation, written: 0, freed: 0, iterators: 0 };
  }

  namespace(name: string): Namespace {
    let ns = this.namespaces.get(name);
    if (ns === undefined) {
      ns = new Namespace(this, name);
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  private handle(): Handle {
    if (this.active === undefined) throw new Error('backend is closed');
    return this.active;
  }

  /** @internal the database in use (for reads and batches that end in the same turn). */
  db(): RocksDB {
    return this.handle().db;
  }

  /**
   * @internal an iterator over the database in use, reading one point in time. It may stay open
   * across turns (a defragment keeps the database it reads open until it is closed); close it.
   */
  iterator(options: object): RocksIterator {
    const h = this.handle();
    const it = h.db.iterator(options);
    h.iterators++;
    let open = true;
    return {
      _nextvSync: (size, o) => it._nextvSync(size, o),
      _closeSync: () => {
        if (!open) return;
        open = false;
        try {
          it._closeSync();
        } finally {
          if (--h.iterators === 0) h.retire?.();
        }
      },
    };
  }

  /** @internal the open batch, created on first use. */
  pending(): RocksBatch {
    if (this.batch === undefined) this.batch = this.db().batch();
    return this.batch;
  }

  /** @internal adds a put (value) or a delete (no value) of a full key to the open batch. */
  stage(fullKey: Uint8Array, value: Uint8Array | undefined): void {
    const batch = this.pending();
    if (value === undefined) batch._del(fullKey, NO_OPTIONS);
    else {
      this.handle().written += fullKey.length + value.length;
      batch._put(fullKey, value, NO_OPTIONS);
    }
    // callers may reuse their buffers once the batch has copied them; the record keeps its own
    this.rewrite?.pending.push([Buffer.from(fullKey), value === undefined ? undefined : Buffer.from(value)]);
  }

  /** @internal writes full-key changes at once, outside the open batch. */
  writeNow(ops: Op[], sync: boolean, freed: number): void {
    const h = this.handle();
    writeOps(h, ops, sync);
    h.freed += freed;
    if (this.rewrite) for (const op of ops) this.rewrite.committed.push(op);
  }

  /** Operations waiting in the open batch. */
  get pendingCount(): number {
    return this.batch === undefined ? 0 : this.batch.length;
  }

  /** Writes the open batch atomically (synchronously: it is in RocksDB when this returns). */
  commit(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    try {
      batch._writeSync({ sync: this.sync });
    } finally {
      batch._closeSync();
    }
    if (this.rewrite) {
      for (const op of this.rewrite.pending) this.rewrite.committed.push(op);
      this.rewrite.pending = [];
    }
  }

  /**
   * CRC32 over every committed row in key order (etcd's Hash: the whole backend), skipping the
   * named namespaces (e.g. 'meta', whose consistent index differs between members).
   */
  hash(skip: string[] = ['meta']): number {
    const it = this.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const skipped = skip.map((n) => Buffer.from(`${n}\0`, 'latin1'));
    let h = 0;
    try {
      for (;;) {
        const { rows, finished } = it._nextvSync(1000, NO_OPTIONS);
        for (let i = 0; i < rows.length; i += 2) {
          const k = rows[i];
          if (skipped.some((p) => k.length >= p.length && k.compare(p, 0, p.length, 0, p.length) === 0))
            continue;
          h = crc32(k, h);
          h = crc32(rows[i + 1], h);
        }
        if (finished || rows.length === 0) break;
      }
    } finally {
      it._closeSync();
    }
    return h >>> 0;
  }

  /**
   * etcd's backend Size and SizeInUse for this RocksDB: what the quota and Status report. Native
   * property reads, cheap but not free: callers on a hot path sample it.
   */
  sizes(): BackendSizes {
    const h = this.handle();
    const sst = Number(h.db.getProperty('rocksdb.live-sst-files-size')) || 0;
    // The memtables' size counts arena blocks allocated ahead of use (a fresh store reports about
    // a megabyte after one small put), so their share is capped by the bytes actually written.
    const mem = Number(h.db.getProperty('rocksdb.cur-size-all-mem-tables')) || 0;
    const total = sst + Math.min(mem, h.written);
    return { total, inUse: Math.max(0, total - h.freed) };
  }

  /** sizes().total */
  approximateSize(): number {
    return this.sizes().total;
  }

  /**
   * etcd's defragment: copies the live rows into a fresh RocksDB, so deleted and overwritten rows
   * no longer take space, and switches to it. Reads and writes go on meanwhile (the copy reads a
   * RocksDB snapshot a chunk per turn; changes committed after it are replayed onto the copy); the
   * switch happens in one turn, after the copy is durable. Calls during a run share it.
   */
  defragment(): Promise<DefragmentResult> {
    this.defragRun ??= this.runDefragment().finally(() => {
      this.defragRun = undefined;
    });
    return this.defragRun;
  }

  private async runDefragment(): Promise<DefragmentResult> {
    const t0 = performance.now();
    const old = this.handle();
    const before = this.sizes();
    const generation = old.generation + 1;
    removeGeneration(this.path, generation);
    const target = await this.openHandle(generation);
    let rows = 0;
    let unsynced = 0;
    try {
      // Changes staged before the snapshot but committed after it would be in neither; the server
      // commits at the end of each apply, so the batch is empty at the start of a turn.
      for (const end = Date.now() + 10_000; this.pendingCount > 0; ) {
        if (Date.now() > end) throw new Error('defragment: the open batch never emptied');
        await sleep(1);
      }
      if (this.active !== old) throw new Error('backend is closed');
      const it = this.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
      // in the same turn as the snapshot: every later change is recorded
      const rewrite: { committed: Op[]; pending: Op[] } = { committed: [], pending: [] };
      this.rewrite = rewrite;
      try {
        for (;;) {
          const chunk = it._nextvSync(DEFRAG_ROWS_PER_TURN, NO_OPTIONS);
          const ops: Op[] = [];
          for (let i = 0; i < chunk.rows.length; i += 2) {
            ops.push([chunk.rows[i], chunk.rows[i + 1]]);
            unsynced += chunk.rows[i].length + chunk.rows[i + 1].length;
          }
          const sync = unsynced >= DEFRAG_SYNC_BYTES;
          if (sync) unsynced = 0;
          writeOps(target, ops, sync);
          rows += ops.length;
          if (chunk.finished || chunk.rows.length === 0) break;
          await nextTurn();
          if (this.active !== old) throw new Error('backend is closed');
        }
      } finally {
        it._closeSync();
      }
      // catch up with what was committed meanwhile, a turn at a time, until little is left
      while (rewrite.committed.length > DEFRAG_ROWS_PER_TURN) {
        const ops = rewrite.committed;
        rewrite.committed = [];
        writeOps(target, ops, false);
        await nextTurn();
        if (this.active !== old) throw new Error('backend is closed');
      }
      // the switch, in one turn: the rest and a synced mark (the copy is durable before ACTIVE names
      // it), then the open batch moves over
      writeOps(target, [...rewrite.committed, [SYNC_MARK, undefined]], true);
      switchGeneration(this.path, generation);
      this.rewrite = undefined;
      this.active = target;
      if (this.batch !== undefined) {
        const moved = target.db.batch();
        for (const [k, v] of rewrite.pending)
          if (v === undefined) moved._del(k, NO_OPTIONS);
          else moved._put(k, v, NO_OPTIONS);
        this.batch._closeSync();
        this.batch = moved;
      }
    } catch (err) {
      this.rewrite = undefined;
      await target.db.close().catch(() => undefined);
      removeGeneration(this.path, generation);
      throw err;
    }
    await this.retire(old);
    return { before, after: this.sizes(), rows, ms: Math.round(performance.now() - t0) };
  }

  /**
   * Closes a replaced database once nothing reads it, then removes its files. Resolves when that
   * is done, or at once while an iterator still holds it.
   */
  private async retire(h: Handle): Promise<void> {
    this.retired.add(h);
    let closed: Promise<void> | undefined;
    h.retire = () => {
      h.retire = undefined;
      closed = h.db
        .close()
        .catch(() => undefined)
        .then(() => {
          this.retired.delete(h);
          // a later generation is active by now, so this is never the one in use
          removeGeneration(this.path, h.generation);
        });
    };
    if (h.iterators === 0) h.retire();
    await closed;
  }

  /** Commits what is pending, then closes RocksDB (a defragment under way is abandoned). */
  async close(): Promise<void> {
    const h = this.active;
    if (h === undefined) return;
    this.commit();
    this.active = undefined;
    for (const r of this.retired) await r.db.close().catch(() => undefined);
    await h.db.close();
    // a defragment under way gives up at its next turn and removes its copy: wait for that, so
    // nothing writes in the directory once this resolves
    await this.defragRun?.catch(() => undefined);
  }
}

/** Writes [full key, value] changes as one batch (a missing value deletes). */
function writeOps(h: Handle, ops: Op[], sync: boolean): void {
  const batch = h.db.batch();
  try {
    for (const [k, v] of ops) {
      if (v === undefined) batch._del(k, NO_OPTIONS);
      else {
        h.written += k.length + v.length;
        batch._put(k, v, NO_OPTIONS);
      }
    }
    batch._writeSync({ sync });
  } finally {
    batch._closeSync();
  }
}

// One RocksDB holding several namespaces (a one-byte-free name prefix per namespace), and one
// pending WriteBatch that spans them: the store, the lessor and the server's apply metadata all
// add to it, and `commit()` lands it atomically.
import { mkdirSync } from 'node:fs';

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

const NO_OPTIONS = {};

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

  /** Adds a put to the backend's pending batch. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.backend.pending()._put(this.fullKey(key), value, NO_OPTIONS);
  }

  /** Adds a delete to the backend's pending batch. */
  del(key: Uint8Array): void {
    this.backend.pending()._del(this.fullKey(key), NO_OPTIONS);
  }

  /** Yields [key, value] in key order (or reverse), reading RocksDB in chunks. */
  *iterate(options: IterateOptions = {}): Generator<[Buffer, Buffer]> {
    const it = this.backend.db().iterator({
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
    const it = this.backend.db().iterator({ gte: this.prefix, lt: this.end, keyEncoding: 'buffer', valueEncoding: 'buffer' });
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

  /** A batch of this namespace's changes written on its own, outside the pending batch. */
  writeNow(ops: { del?: Uint8Array[]; put?: [Uint8Array, Uint8Array][] }, sync = false): void {
    const batch = this.backend.db().batch();
    try {
      for (const k of ops.del ?? []) batch._del(this.fullKey(k), NO_OPTIONS);
      for (const [k, v] of ops.put ?? []) batch._put(this.fullKey(k), v, NO_OPTIONS);
      batch._writeSync({ sync });
    } finally {
      batch._closeSync();
    }
  }
}

export class Backend {
  private rocks: RocksDB | undefined;
  private batch: RocksBatch | undefined;
  private readonly namespaces = new Map<string, Namespace>();
  private readonly sync: boolean;

  private constructor(
    readonly path: string,
    options: BackendOptions,
  ) {
    this.sync = options.sync === true;
  }

  static async open(path: string, options: BackendOptions = {}): Promise<Backend> {
    mkdirSync(path, { recursive: true });
    const b = new Backend(path, options);
    const db = new RocksLevel(path, {});
    await db.open({ createIfMissing: true });
    b.rocks = db;
    return b;
  }

  namespace(name: string): Namespace {
    let ns = this.namespaces.get(name);
    if (ns === undefined) {
      ns = new Namespace(this, name);
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  /** @internal */
  db(): RocksDB {
    if (this.rocks === undefined) throw new Error('backend is closed');
    return this.rocks;
  }

  /** @internal the open batch, created on first use. */
  pending(): RocksBatch {
    if (this.batch === undefined) this.batch = this.db().batch();
    return this.batch;
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
  }

  /** Bytes RocksDB estimates for live data (SST + memtables). */
  approximateSize(): number {
    const db = this.db();
    const sst = Number(db.getProperty('rocksdb.live-sst-files-size')) || 0;
    const mem = Number(db.getProperty('rocksdb.cur-size-all-mem-tables')) || 0;
    return sst + mem;
  }

  /** Commits what is pending, then closes RocksDB. */
  async close(): Promise<void> {
    if (this.rocks === undefined) return;
    this.commit();
    const db = this.rocks;
    this.rocks = undefined;
    await db.close();
  }
}

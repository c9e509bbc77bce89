// Bulk-loads a bbolt file from sorted input, bottom-up: leaf pages are written as they fill, the
// (first key, page id) of each is kept, and branch pages are built above them when the bucket ends. Pages
// are allocated in ascending order, so the file is written front to back; the two meta pages go last,
// once the root is known. bbolt opens the result as it would a file it wrote itself.
import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import {
  BRANCH_ELEMENT,
  BRANCH_PAGE,
  BUCKET_HEADER,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE,
  FREELIST_PAGE,
  fnv1a64,
  LEAF_ELEMENT,
  LEAF_PAGE,
  MAGIC,
  META_CHECKSUM,
  META_FREELIST,
  META_PAGE,
  META_PGID,
  META_ROOT,
  META_SIZE,
  META_TXID,
  PAGE_HEADER,
  VERSION,
} from './layout';

export interface BoltWriterOptions {
  /** Page size in bytes (default 4096, what bbolt uses on Linux amd64). */
  pageSize?: number;
  /**
   * How full a page gets before the next one starts, as bbolt's Bucket.FillPercent (0.1..1, default 1:
   * a bulk load never inserts in the middle, so there is no reason to leave room).
   */
  fillPercent?: number;
  /** fsync before close (default true). */
  sync?: boolean;
}

export interface BoltWriteResult {
  /** Bytes in the file: the high-water page id times the page size (bbolt's Tx.Size). */
  size: number;
  /** Pages in the file, metas and freelist included. */
  pages: number;
  /** Key/value pairs written, over all buckets. */
  keys: number;
}

interface Element {
  key: Buffer;
  value: Buffer;
  flags: number;
}

interface ChildRef {
  key: Buffer;
  pgid: number;
}

const WRITE_CHUNK = 1 << 20;

/** Collects one B+tree's leaves in key order and writes them as pages through the writer. */
class TreeBuilder {
  private pending: Element[] = [];
  private pendingBytes = PAGE_HEADER;
  private children: ChildRef[] = [];
  private last: Buffer | undefined;
  count = 0;

  constructor(private readonly w: BoltWriter) {}

  add(key: Buffer, value: Buffer, flags: number): void {
    if (this.last !== undefined && Buffer.compare(this.last, key) >= 0) {
      throw new Error(
        `bbolt writer: keys must be strictly ascending (${key.toString('hex')} after ${this.last.toString('hex')})`,
      );
    }
    this.last = key;
    const size = LEAF_ELEMENT + key.length + value.length;
    if (this.pending.length > 0 && this.pendingBytes + size > this.w.threshold) this.flushLeaf();
    this.pending.push({ key, value, flags });
    this.pendingBytes += size;
    this.count++;
  }

  /** True while everything fits the inline limit: the tree could still live inside its parent's value. */
  get inlineable(): boolean {
    if (this.children.length > 0) return false;
    if (this.pending.some((e) => e.flags & BUCKET_LEAF_FLAG)) return false;
    return this.pendingBytes <= this.w.pageSize / 4;
  }

  /** The bucket header, with the leaf page inline when bbolt would inline it, else with the root page id. */
  finishBucket(): Buffer {
    if (this.inlineable) {
      const page = encodeLeaf(this.pending, 0, this.pendingBytes);
      const v = Buffer.alloc(BUCKET_HEADER + page.length);
      page.copy(v, BUCKET_HEADER);
      return v;
    }
    const v = Buffer.alloc(BUCKET_HEADER);
    v.writeBigUInt64LE(BigInt(this.finishTree()), 0);
    return v;
  }

  /** Writes what is left and the branch levels; returns the root page id. */
  finishTree(): number {
    if (this.pending.length > 0 || this.children.length === 0) this.flushLeaf();
    let level = this.children;
    while (level.length > 1) level = this.branchLevel(level);
    return level[0]!.pgid;
  }

  private flushLeaf(): void {
    const pgid = this.w.allocate(this.pendingBytes);
    this.w.writePage(pgid, encodeLeaf(this.pending, pgid, this.pendingBytes));
    this.children.push({ key: Buffer.from(this.pending[0]?.key ?? Buffer.alloc(0)), pgid });
    this.pending = [];
    this.pendingBytes = PAGE_HEADER;
  }

  private branchLevel(children: ChildRef[]): ChildRef[] {
    const up: ChildRef[] = [];
    let start = 0;
    let bytes = PAGE_HEADER;
    const flush = (end: number) => {
      const part = children.slice(start, end);
      const pgid = this.w.allocate(bytes);
      this.w.writePage(pgid, encodeBranch(part, pgid, bytes));
      up.push({ key: part[0]!.key, pgid });
      start = end;
      bytes = PAGE_HEADER;
    };
    for (let i = 0; i < children.length; i++) {
      const size = BRANCH_ELEMENT + children[i]!.key.length;
      // bbolt keeps at least two children per branch page
      if (i - start >= 2 && bytes + size > this.w.threshold) flush(i);
      bytes += size;
    }
    flush(children.length);
    return up;
  }
}

function pageHeader(b: Buffer, pgid: number, flags: number, count: number, overflow: number): void {
  b.writeBigUInt64LE(BigInt(pgid), 0);
  b.writeUInt16LE(flags, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(overflow, 12);
}

function encodeLeaf(elems: Element[], pgid: number, bytes: number): Buffer {
  if (elems.length > 0xffff) throw new Error('bbolt writer: too many elements for one page');
  const b = Buffer.alloc(bytes);
  pageHeader(b, pgid, LEAF_PAGE, elems.length, 0);
  let data = PAGE_HEADER + elems.length * LEAF_ELEMENT;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i]!;
    const at = PAGE_HEADER + i * LEAF_ELEMENT;
    b.writeUInt32LE(e.flags, at);
    b.writeUInt32LE(data - at, at + 4);
    b.writeUInt32LE(e.key.length, at + 8);
    b.writeUInt32LE(e.value.length, at + 12);
    e.key.copy(b, data);
    e.value.copy(b, data + e.key.length);
    data += e.key.length + e.value.length;
  }
  return b;
}

function encodeBranch(children: ChildRef[], pgid: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  pageHeader(b, pgid, BRANCH_PAGE, children.length, 0);
  let data = PAGE_HEADER + children.length * BRANCH_ELEMENT;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    const at = PAGE_HEADER + i * BRANCH_ELEMENT;
    b.writeUInt32LE(data - at, at);
    b.writeUInt32LE(c.key.length, at + 4);
    b.writeBigUInt64LE(BigInt(c.pgid), at + 8);
    c.key.copy(b, data);
    data += c.key.length;
  }
  return b;
}

/**
 * Writes a bbolt file: `bucket(name)` then `put(key, value)` for each of its keys, buckets in ascending
 * name order and keys ascending within each, then `close()`. Only top-level buckets (etcd uses no others).
 */
export class BoltWriter {
  readonly pageSize: number;
  /** @internal bytes a page is filled to before the next one starts */
  readonly threshold: number;
  private readonly fd: number;
  private readonly sync: boolean;
  private nextPgid = 2; // pages 0 and 1 are the metas
  private out: Buffer[] = [];
  private outBytes = 0;
  private outPos: number;
  private readonly root: TreeBuilder;
  private current: { name: Buffer; tree: TreeBuilder } | undefined;
  private keys = 0;
  private closed = false;

  constructor(
    readonly path: string,
    options: BoltWriterOptions = {},
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const fill = Math.min(1, Math.max(0.1, options.fillPercent ?? 1));
    this.threshold = Math.floor(this.pageSize * fill);
    this.sync = options.sync !== false;
    this.outPos = 2 * this.pageSize;
    this.fd = openSync(path, 'w', 0o600);
    this.root = new TreeBuilder(this);
  }

  /** Starts the next bucket (ending the one before). */
  bucket(name: Uint8Array): void {
    this.endBucket();
    this.current = { name: Buffer.from(name), tree: new TreeBuilder(this) };
  }

  put(key: Uint8Array, value: Uint8Array): void {
    if (this.current === undefined) throw new Error('bbolt writer: put before bucket()');
    if (key.length === 0) throw new Error('bbolt writer: empty key');
    this.current.tree.add(asBuffer(key), asBuffer(value), 0);
    this.keys++;
  }

  private endBucket(): void {
    if (this.closed) throw new Error('bbolt writer: closed');
    const c = this.current;
    if (c === undefined) return;
    this.current = undefined;
    this.root.add(c.name, c.tree.finishBucket(), BUCKET_LEAF_FLAG);
  }

  /** Writes the root, an empty freelist and the metas; the file is complete (and synced) when it returns. */
  close(): BoltWriteResult {
    this.endBucket();
    this.closed = true;
    try {
      const root = this.root.finishTree();
      const freelist = this.allocate(PAGE_HEADER);
      const fl = Buffer.alloc(PAGE_HEADER);
      pageHeader(fl, freelist, FREELIST_PAGE, 0, 0);
      this.writePage(freelist, fl);
      this.flush();
      const pages = this.nextPgid;
      // bbolt initialises meta 0 with txid 0 and meta 1 with txid 1; the higher one is current
      for (const txid of [0, 1]) {
        const b = Buffer.alloc(this.pageSize);
        pageHeader(b, txid, META_PAGE, 0, 0);
        const m = b.subarray(PAGE_HEADER, PAGE_HEADER + META_SIZE);
        m.writeUInt32LE(MAGIC, 0);
        m.writeUInt32LE(VERSION, 4);
        m.writeUInt32LE(this.pageSize, 8);
        m.writeUInt32LE(0, 12);
        m.writeBigUInt64LE(BigInt(root), META_ROOT);
        m.writeBigUInt64LE(0n, META_ROOT + 8);
        m.writeBigUInt64LE(BigInt(freelist), META_FREELIST);
        m.writeBigUInt64LE(BigInt(pages), META_PGID);
        m.writeBigUInt64LE(BigInt(txid), META_TXID);
        m.writeBigUInt64LE(fnv1a64(m.subarray(0, META_CHECKSUM)), META_CHECKSUM);
        writeSync(this.fd, b, 0, b.length, txid * this.pageSize);
      }
      ftruncateSync(this.fd, pages * this.pageSize);
      if (this.sync) fsyncSync(this.fd);
      return { size: pages * this.pageSize, pages, keys: this.keys };
    } finally {
      closeSync(this.fd);
    }
  }

  /** Closes the file without completing it (after a failure); the caller removes it. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** @internal the next page id, reserving room for `bytes` (overflow pages included) */
  allocate(bytes: number): number {
    const pgid = this.nextPgid;
    this.nextPgid += Math.max(1, Math.ceil(bytes / this.pageSize));
    return pgid;
  }

  /** @internal pages arrive in allocation order, so they are appended; the tail is padded to whole pages */
  writePage(pgid: number, bytes: Buffer): void {
    const pages = Math.max(1, Math.ceil(bytes.length / this.pageSize));
    bytes.writeUInt32LE(pages - 1, 12);
    const at = pgid * this.pageSize;
    if (at !== this.outPos + this.outBytes) throw new Error('bbolt writer: pages out of order');
    this.out.push(bytes);
    const pad = pages * this.pageSize - bytes.length;
    if (pad > 0) this.out.push(Buffer.alloc(pad));
    this.outBytes += pages * this.pageSize;
    if (this.outBytes >= WRITE_CHUNK) this.flush();
  }

  private flush(): void {
    if (this.outBytes === 0) return;
    const b = Buffer.concat(this.out, this.outBytes);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off, this.outPos + off);
    this.outPos += b.length;
    this.out = [];
    this.outBytes = 0;
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export interface BoltBucketInput {
  name: Uint8Array;
  entries: Iterable<[Uint8Array, Uint8Array]>;
}

/** Writes a whole file from buckets in any order (each bucket's entries are sorted here). */
export function writeBolt(
  path: string,
  buckets: BoltBucketInput[],
  options?: BoltWriterOptions,
): BoltWriteResult {
  const w = new BoltWriter(path, options);
  try {
    const sorted = [...buckets].sort((a, b) => Buffer.compare(a.name, b.name));
    for (const b of sorted) {
      w.bucket(b.name);
      const entries = [...b.entries].sort((x, y) => Buffer.compare(x[0], y[0]));
      for (const [k, v] of entries) w.put(k, v);
    }
  } catch (err) {
    w.abort();
    throw err;
  }
  return w.close();
}

// Reads a bbolt file as bbolt's read-only transaction sees it: the newest meta page that validates
// (magic, version, FNV checksum), then the B+tree of buckets under its root: branch pages, leaf pages with
// overflow, inline buckets (root 0: the leaf page follows the bucket header) and nested buckets.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  BRANCH_ELEMENT,
  BRANCH_PAGE,
  BUCKET_HEADER,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE,
  FREELIST_COUNT_OVERFLOW,
  FREELIST_PAGE,
  fnv1a64,
  LEAF_ELEMENT,
  LEAF_PAGE,
  MAGIC,
  META_CHECKSUM,
  META_FREELIST,
  META_PGID,
  META_ROOT,
  META_TXID,
  PAGE_HEADER,
  VERSION,
} from './layout';

export interface BoltBucket {
  name: Buffer;
  /** Root page id; 0 for an inline bucket (stored inside its parent's leaf). */
  root: number;
  sequence: bigint;
  /** Plain key/value pairs in key order (nested buckets are in `buckets`). */
  entries: Array<[Buffer, Buffer]>;
  buckets: BoltBucket[];
}

export interface BoltMeta {
  pageSize: number;
  root: number;
  freelist: number;
  /** High-water page id: pages below it are in use or free. */
  pgid: number;
  txid: number;
}

export interface BoltFile {
  pageSize: number;
  /** tx.Size(): high-water page id times page size. */
  size: number;
  meta: BoltMeta;
  /** Page ids the freelist holds. */
  free: number[];
  buckets: BoltBucket[];
}

export class BoltFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoltFormatError';
  }
}

function u64(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off));
}

function readMeta(file: Buffer, at: number): BoltMeta | string {
  if (file.length < at + PAGE_HEADER + META_CHECKSUM + 8) return 'file size too small';
  const m = file.subarray(at + PAGE_HEADER);
  if (m.readUInt32LE(0) !== MAGIC) return 'invalid database';
  if (m.readUInt32LE(4) !== VERSION) return 'version mismatch';
  if (m.readBigUInt64LE(META_CHECKSUM) !== fnv1a64(m.subarray(0, META_CHECKSUM))) return 'checksum error';
  return {
    pageSize: m.readUInt32LE(8),
    root: u64(m, META_ROOT),
    freelist: u64(m, META_FREELIST),
    pgid: u64(m, META_PGID),
    txid: u64(m, META_TXID),
  };
}

/** The current meta: the valid one of the two with the higher txid (bbolt's db.meta()). */
export function currentMeta(file: Buffer): BoltMeta {
  const m0 = readMeta(file, 0);
  // the second meta sits one page in; take the page size from the first when it is readable
  const ps = typeof m0 === 'string' ? 4096 : m0.pageSize;
  const m1 = readMeta(file, ps);
  const valid = [m0, m1].filter((m): m is BoltMeta => typeof m !== 'string');
  if (valid.length === 0) throw new BoltFormatError(typeof m0 === 'string' ? m0 : 'invalid database');
  return valid.reduce((a, b) => (b.txid > a.txid ? b : a));
}

type Visit = (k: Buffer, v: Buffer, flags: number) => void;

/** A bucket as its parent stores it: name and header (root page id, or the inline page after it). */
export interface BoltBucketRef {
  name: Buffer;
  root: number;
  sequence: bigint;
  /** @internal the header bytes (with the inline page) */
  header: Buffer;
}

/**
 * Page-at-a-time access to a bbolt file, either held in memory or read from a file descriptor as pages
 * are visited (so a multi-gigabyte snapshot is never in memory at once).
 */
export class BoltReader {
  readonly meta: BoltMeta;

  private constructor(
    private readonly readAt: (buf: Buffer, position: number) => number,
    private readonly fileSize: number,
    private readonly onClose: () => void,
  ) {
    // bbolt's own order of complaints: no readable first page, then a meta that does not validate, then
    // a file shorter than the two meta pages
    if (fileSize < DEFAULT_PAGE_SIZE) throw new BoltFormatError('invalid database');
    const head = Buffer.alloc(Math.min(fileSize, 2 * 65536));
    readAt(head, 0);
    this.meta = currentMeta(head);
    if (fileSize < 2 * this.meta.pageSize) throw new BoltFormatError('file size too small');
  }

  /** Reads pages from the file as they are needed; close() when done. */
  static open(path: string): BoltReader {
    const fd = openSync(path, 'r');
    try {
      return new BoltReader(
        (buf, pos) => readSync(fd, buf, 0, buf.length, pos),
        fstatSync(fd).size,
        () => closeSync(fd),
      );
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  static fromBuffer(file: Buffer): BoltReader {
    return new BoltReader(
      (buf, pos) => file.copy(buf, 0, pos, pos + buf.length),
      file.length,
      () => {},
    );
  }

  get pageSize(): number {
    return this.meta.pageSize;
  }

  /** tx.Size(): high-water page id times page size. */
  get size(): number {
    return this.meta.pgid * this.meta.pageSize;
  }

  close(): void {
    this.onClose();
  }

  /** One page with its overflow pages. */
  page(id: number): Buffer {
    const ps = this.meta.pageSize;
    if (id < 2 || id >= this.meta.pgid || (id + 1) * ps > this.fileSize)
      throw new BoltFormatError(`page ${id} is outside the file`);
    const head = Buffer.alloc(PAGE_HEADER);
    this.readAt(head, id * ps);
    const pages = 1 + head.readUInt32LE(12);
    if ((id + pages) * ps > this.fileSize)
      throw new BoltFormatError(`page ${id} runs past the end of the file`);
    const p = Buffer.alloc(pages * ps);
    this.readAt(p, id * ps);
    return p;
  }

  /** Visits a tree's leaf elements in key order. */
  private walk(p: Buffer, visit: Visit, depth = 0): void {
    if (depth > 64) throw new BoltFormatError('tree too deep (a page cycle?)');
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * (flags & BRANCH_PAGE ? BRANCH_ELEMENT : LEAF_ELEMENT);
      if (flags & BRANCH_PAGE) {
        this.walk(this.page(u64(p, e + 8)), visit, depth + 1);
      } else if (flags & LEAF_PAGE) {
        const f = p.readUInt32LE(e);
        const pos = e + p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        if (pos + ksize + vsize > p.length) throw new BoltFormatError('leaf element runs past its page');
        visit(p.subarray(pos, pos + ksize), p.subarray(pos + ksize, pos + ksize + vsize), f);
      } else {
        throw new BoltFormatError(`unexpected page type ${flags} in a tree`);
      }
    }
  }

  private refOf(name: Buffer, header: Buffer): BoltBucketRef {
    return { name, root: u64(header, 0), sequence: header.readBigUInt64LE(8), header };
  }

  /** The top-level buckets (or those nested in `parent`), in name order. */
  buckets(parent?: BoltBucketRef): BoltBucketRef[] {
    const out: BoltBucketRef[] = [];
    const visit: Visit = (k, v, f) => {
      if (f & BUCKET_LEAF_FLAG) out.push(this.refOf(k, v));
    };
    if (parent === undefined) this.walk(this.page(this.meta.root), visit);
    else this.walkBucket(parent, visit);
    return out;
  }

  /** Calls `fn` for each plain key/value of the bucket in key order (nested buckets are skipped). */
  forEach(bucket: BoltBucketRef, fn: (key: Buffer, value: Buffer) => void): void {
    this.walkBucket(bucket, (k, v, f) => {
      if (!(f & BUCKET_LEAF_FLAG)) fn(k, v);
    });
  }

  private walkBucket(b: BoltBucketRef, visit: Visit): void {
    this.walk(b.root === 0 ? b.header.subarray(BUCKET_HEADER) : this.page(b.root), visit);
  }

  /** Page ids the freelist holds (none when the file was written without one, as etcd does). */
  freePages(): number[] {
    const free: number[] = [];
    const meta = this.meta;
    if (meta.freelist < 2 || meta.freelist >= meta.pgid) return free;
    const p = this.page(meta.freelist);
    if (!(p.readUInt16LE(8) & FREELIST_PAGE)) return free;
    let count = p.readUInt16LE(10);
    let at = PAGE_HEADER;
    if (count === FREELIST_COUNT_OVERFLOW) {
      count = u64(p, at);
      at += 8;
    }
    for (let i = 0; i < count; i++) free.push(u64(p, at + i * 8));
    return free;
  }

  /** Everything, nested buckets included, in memory. */
  readAll(): BoltFile {
    const load = (ref: BoltBucketRef, depth: number): BoltBucket => {
      if (depth > 64) throw new BoltFormatError('buckets nested too deep');
      const b: BoltBucket = {
        name: ref.name,
        root: ref.root,
        sequence: ref.sequence,
        entries: [],
        buckets: [],
      };
      this.walkBucket(ref, (k, v, f) => {
        if (f & BUCKET_LEAF_FLAG) b.buckets.push(load(this.refOf(k, v), depth + 1));
        else b.entries.push([k, v]);
      });
      return b;
    };
    return {
      pageSize: this.pageSize,
      size: this.size,
      meta: this.meta,
      free: this.freePages(),
      buckets: this.buckets().map((r) => load(r, 1)),
    };
  }
}

/** Parses a whole bbolt file held in memory. */
export function parseBolt(file: Buffer): BoltFile {
  return BoltReader.fromBuffer(file).readAll();
}

/** Reads a whole bbolt file into memory (see BoltReader.open for page-at-a-time access). */
export function readBolt(path: string): BoltFile {
  const r = BoltReader.open(path);
  try {
    return r.readAll();
  } finally {
    r.close();
  }
}

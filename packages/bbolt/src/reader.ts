// Reads a bbolt file as bbolt's read-only transaction sees it: the newest meta page that validates
// (magic, version, FNV checksum), then the B+tree of buckets under its root: branch pages, leaf pages with
// overflow, inline buckets (root 0: the leaf page follows the bucket header) and nested buckets.
import { readFileSync } from 'node:fs';
import {
  BRANCH_ELEMENT,
  BRANCH_PAGE,
  BUCKET_HEADER,
  BUCKET_LEAF_FLAG,
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

/** Parses a whole bbolt file held in memory. */
export function parseBolt(file: Buffer): BoltFile {
  if (file.length < 2 * 1024) throw new BoltFormatError('file size too small');
  const meta = currentMeta(file);
  const ps = meta.pageSize;
  const page = (id: number): Buffer => {
    if (id < 2 || id >= meta.pgid || (id + 1) * ps > file.length)
      throw new BoltFormatError(`page ${id} is outside the file`);
    const p = file.subarray(id * ps);
    return p.subarray(0, (1 + p.readUInt32LE(12)) * ps);
  };

  // Visits a tree's leaf elements in key order.
  const walk = (p: Buffer, visit: (k: Buffer, v: Buffer, flags: number) => void, depth = 0): void => {
    if (depth > 64) throw new BoltFormatError('tree too deep (a page cycle?)');
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * (flags & BRANCH_PAGE ? BRANCH_ELEMENT : LEAF_ELEMENT);
      if (flags & BRANCH_PAGE) {
        walk(page(u64(p, e + 8)), visit, depth + 1);
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
  };

  const readBucket = (name: Buffer, header: Buffer, depth: number): BoltBucket => {
    const root = u64(header, 0);
    const b: BoltBucket = { name, root, sequence: header.readBigUInt64LE(8), entries: [], buckets: [] };
    walk(root === 0 ? header.subarray(BUCKET_HEADER) : page(root), (k, v, f) => {
      if (f & BUCKET_LEAF_FLAG) b.buckets.push(readBucket(k, v, depth + 1));
      else b.entries.push([k, v]);
    });
    return b;
  };

  const top: BoltBucket[] = [];
  walk(page(meta.root), (k, v, f) => {
    if (f & BUCKET_LEAF_FLAG) top.push(readBucket(k, v, 1));
  });

  const free: number[] = [];
  if (meta.freelist >= 2 && meta.freelist < meta.pgid) {
    const p = page(meta.freelist);
    if (p.readUInt16LE(8) & FREELIST_PAGE) {
      let count = p.readUInt16LE(10);
      let at = PAGE_HEADER;
      if (count === FREELIST_COUNT_OVERFLOW) {
        count = u64(p, at);
        at += 8;
      }
      for (let i = 0; i < count; i++) free.push(u64(p, at + i * 8));
    }
  }
  return { pageSize: ps, size: meta.pgid * ps, meta, free, buckets: top };
}

export function readBolt(path: string): BoltFile {
  return parseBolt(readFileSync(path));
}

// Reads a bbolt file (etcd's backend, and so its snapshots) far enough for `snapshot status`: the
// buckets of the newest valid meta page and their key/value pairs in key order.
import { readFileSync } from 'node:fs';

const MAGIC = 0xed0cdaed;
const BRANCH = 0x01;
const LEAF = 0x02;
const BUCKET_LEAF = 0x01;
const PAGE_HEADER = 16;
const ELEM = 16;

export interface BoltBucket {
  name: Buffer;
  entries: Array<[Buffer, Buffer]>;
}

export interface BoltFile {
  pageSize: number;
  /** tx.Size(): high-water page id times page size */
  size: number;
  buckets: BoltBucket[];
}

function readU64(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off));
}

export function readBolt(path: string): BoltFile {
  const file = readFileSync(path);
  if (file.length < 4096 * 2) throw new Error('file size too small');
  const metas = [0, 1].map((i) => {
    // the first meta tells the page size; both metas sit in the first two pages
    const ps = i === 0 ? 0 : file.readUInt32LE(PAGE_HEADER + 8);
    const base = i * ps + PAGE_HEADER;
    return {
      magic: file.readUInt32LE(base),
      pageSize: file.readUInt32LE(base + 8),
      root: readU64(file, base + 16),
      pgid: readU64(file, base + 40),
      txid: readU64(file, base + 48),
    };
  });
  const valid = metas.filter((m) => m.magic === MAGIC);
  if (valid.length === 0) throw new Error('invalid database');
  const meta = valid.reduce((a, b) => (b.txid > a.txid ? b : a));
  const ps = meta.pageSize;
  const page = (id: number) => file.subarray(id * ps);

  const walk = (p: Buffer, visit: (k: Buffer, v: Buffer, flags: number) => void) => {
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * ELEM;
      if (flags & BRANCH) {
        walk(page(readU64(p, e + 8)), visit);
      } else if (flags & LEAF) {
        const f = p.readUInt32LE(e);
        const pos = p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        const k = p.subarray(e + pos, e + pos + ksize);
        visit(k, p.subarray(e + pos + ksize, e + pos + ksize + vsize), f);
      }
    }
  };

  const bucketEntries = (v: Buffer): Array<[Buffer, Buffer]> => {
    const root = readU64(v, 0);
    const out: Array<[Buffer, Buffer]> = [];
    // root 0: an inline bucket, its single leaf page stored right after the bucket header
    walk(root === 0 ? v.subarray(16) : page(root), (k, val) => out.push([k, val]));
    return out;
  };

  const buckets: BoltBucket[] = [];
  walk(page(meta.root), (k, v, f) => {
    if (f & BUCKET_LEAF) buckets.push({ name: k, entries: bucketEntries(v) });
  });
  return { pageSize: ps, size: meta.pgid * ps, buckets };
}

let table: Int32Array | undefined;
/** CRC-32 with the Castagnoli polynomial, as Go's crc32.MakeTable(crc32.Castagnoli) */
export function crc32c(chunks: Buffer[]): number {
  if (!table) {
    table = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      table[i] = c;
    }
  }
  let crc = -1;
  for (const b of chunks) for (let i = 0; i < b.length; i++) crc = table[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

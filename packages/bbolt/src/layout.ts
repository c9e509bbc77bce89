// bbolt's on-disk layout (go.etcd.io/bbolt page.go, db.go, bucket.go): the facts both the reader and the
// writer rely on. Every integer is little-endian, as bbolt writes its structs in host order on amd64/arm64.

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;
export const DEFAULT_PAGE_SIZE = 4096;

/** Page header: id u64, flags u16, count u16, overflow u32. */
export const PAGE_HEADER = 16;
export const BRANCH_PAGE = 0x01;
export const LEAF_PAGE = 0x02;
export const META_PAGE = 0x04;
export const FREELIST_PAGE = 0x10;

/** Leaf element: flags u32, pos u32, ksize u32, vsize u32; pos counts from the element itself. */
export const LEAF_ELEMENT = 16;
/** Branch element: pos u32, ksize u32, pgid u64. */
export const BRANCH_ELEMENT = 16;
/** A leaf element whose value is a bucket header rather than plain bytes. */
export const BUCKET_LEAF_FLAG = 0x01;

/** Bucket header: root pgid u64 (0 = inline: a leaf page follows the header), sequence u64. */
export const BUCKET_HEADER = 16;

// meta, right after the page header: magic u32, version u32, pageSize u32, flags u32, root bucket
// (16 bytes), freelist pgid u64, high-water pgid u64, txid u64, checksum u64 (FNV-1a 64 of the bytes before it).
export const META_ROOT = 16;
export const META_FREELIST = 32;
export const META_PGID = 40;
export const META_TXID = 48;
export const META_CHECKSUM = 56;
export const META_SIZE = 64;

/** The freelist's count field holds this when the real count is the first u64 of the page body. */
export const FREELIST_COUNT_OVERFLOW = 0xffff;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** FNV-1a, 64 bits (Go's hash/fnv New64a): bbolt's meta checksum. */
export function fnv1a64(b: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (let i = 0; i < b.length; i++) h = ((h ^ BigInt(b[i])) * FNV_PRIME) & MASK;
  return h;
}

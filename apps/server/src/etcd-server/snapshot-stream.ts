import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { etcdserverpb } from '@kv/api-proto';

const CHUNK = 32 * 1024;
/** Our snapshot file opens with one page that says what it is, as a bbolt file opens with its meta pages. */
export const SNAPSHOT_PAGE_BYTES = 4096;
export const SNAPSHOT_MAGIC = Buffer.from('KVSNAPv1', 'latin1');

/**
 * The first page: magic, page size, cluster id, member id, revision and raft term when the copy was taken,
 * and the length of the row dump that follows; the rest of the page is zero, reserved for later fields.
 */
export function snapshotHeaderPage(h: etcdserverpb.IResponseHeader, dumpBytes: number): Buffer {
  const page = Buffer.alloc(SNAPSHOT_PAGE_BYTES);
  SNAPSHOT_MAGIC.copy(page, 0);
  page.writeUInt32LE(SNAPSHOT_PAGE_BYTES, 8);
  page.writeBigUInt64LE(BigInt(String(h.clusterId ?? 0)), 16);
  page.writeBigUInt64LE(BigInt(String(h.memberId ?? 0)), 24);
  page.writeBigUInt64LE(BigInt(String(h.revision ?? 0)), 32);
  page.writeBigUInt64LE(BigInt(String(h.raftTerm ?? 0)), 40);
  page.writeBigUInt64LE(BigInt(dumpBytes), 48);
  return page;
}

/**
 * Maintenance.Snapshot: a header page, then the backend copy in 32 KiB blobs, remaining_bytes counting down,
 * and a final blob holding the sha256 of everything sent before it (as etcd appends to its db file).
 */
export async function* snapshotChunks(
  dir: string,
  dump: (path: string) => void,
  header: () => etcdserverpb.IResponseHeader,
): AsyncGenerator<etcdserverpb.ISnapshotResponse> {
  const tmp = mkdtempSync(join(dir, 'client-snap-'));
  const path = join(tmp, 'db.dump');
  try {
    dump(path);
    const first = snapshotHeaderPage(header(), statSync(path).size);
    const size = first.length + statSync(path).size;
    const hash = createHash('sha256');
    hash.update(first);
    let sent = first.length;
    yield { header: header(), remainingBytes: size - sent + 32, blob: first };
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
      const b = chunk as Buffer;
      hash.update(b);
      sent += b.length;
      yield { header: header(), remainingBytes: size - sent + 32, blob: b };
    }
    yield { header: header(), remainingBytes: 0, blob: hash.digest() };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { etcdserverpb } from '@kv/api-proto';

const CHUNK = 32 * 1024;

/**
 * Maintenance.Snapshot: the backend as a bbolt file in 32 KiB blobs, remaining_bytes counting down, and a
 * final blob holding the sha256 of everything sent before it (as etcd appends to its db file).
 */
export async function* snapshotChunks(
  dir: string,
  dump: (path: string) => Promise<unknown>,
  header: () => etcdserverpb.IResponseHeader,
): AsyncGenerator<etcdserverpb.ISnapshotResponse> {
  const tmp = mkdtempSync(join(dir, 'client-snap-'));
  const path = join(tmp, 'db');
  try {
    await dump(path);
    const size = statSync(path).size;
    const hash = createHash('sha256');
    let sent = 0;
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

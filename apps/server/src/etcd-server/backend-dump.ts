import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { Backend } from '@kv/mvcc';

// A whole-backend copy for a follower that needs a snapshot: every RocksDB row, namespaces included, as
// | u32 key length | key | u32 value length | value | records. RocksDB iterators read from an implicit
// snapshot, so the copy is consistent even while the leader keeps applying.
interface RawIterator {
  _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean };
  _closeSync(): void;
}
interface RawBatch {
  _put(key: Uint8Array, value: Uint8Array, options: object): void;
}

export function dumpBackend(backend: Backend, path: string): number {
  const it: RawIterator = backend.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const fd = openSync(path, 'w');
  let rowsOut = 0;
  try {
    for (;;) {
      const { rows, finished } = it._nextvSync(1000, {});
      const parts: Buffer[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        const k = rows[i]!;
        const v = rows[i + 1]!;
        const h = Buffer.alloc(4);
        h.writeUInt32LE(k.length, 0);
        const hv = Buffer.alloc(4);
        hv.writeUInt32LE(v.length, 0);
        parts.push(h, k, hv, v);
        rowsOut++;
      }
      if (parts.length) writeSync(fd, Buffer.concat(parts));
      if (finished || rows.length === 0) break;
    }
  } finally {
    it._closeSync();
    closeSync(fd);
  }
  return rowsOut;
}

/** Loads a dump into an empty backend, committing in batches. */
export function loadBackendDump(backend: Backend, path: string): number {
  const fd = openSync(path, 'r');
  let buf = Buffer.alloc(0);
  let rows = 0;
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      buf = Buffer.concat([buf, chunk.subarray(0, n)]);
      let off = 0;
      for (;;) {
        if (buf.length - off < 4) break;
        const kl = buf.readUInt32LE(off);
        if (buf.length - off < 8 + kl) break;
        const vl = buf.readUInt32LE(off + 4 + kl);
        if (buf.length - off < 8 + kl + vl) break;
        const key = buf.subarray(off + 4, off + 4 + kl);
        const value = buf.subarray(off + 8 + kl, off + 8 + kl + vl);
        (backend.pending() as unknown as RawBatch)._put(Buffer.from(key), Buffer.from(value), {});
        off += 8 + kl + vl;
        rows++;
        if (rows % 1000 === 0) backend.commit();
      }
      buf = buf.subarray(off);
    }
    if (buf.length !== 0) throw new Error('snapshot dump ends in the middle of a record');
    backend.commit();
  } finally {
    closeSync(fd);
  }
  return rows;
}

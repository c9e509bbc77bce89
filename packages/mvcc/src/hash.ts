// Hash of the stored key-value history, for comparing members (etcd's HashKV): every row at or
// below the hashed revision that survives compaction, in revision order.
import { crc32 } from 'node:zlib';
import { revisionId } from './key-index';
import { encodeKeyValue } from './key-value';
import type { KVStore } from './kv-store';
import { decodeRevision, encodeRevision } from './revision';

export interface HashResult {
  hash: number;
  /** The store's compact revision when hashed. */
  compactRevision: number;
  /** The revision the hash covers. */
  hashRevision: number;
  /** The store's current revision. */
  revision: number;
}

export function hashKV(store: KVStore, rev: number): HashResult {
  const compactRev = store.compactRevision;
  const keep = compactRev > 0 ? store.index.keep(compactRev) : new Set<string>();
  let h = 0;
  const upper = encodeRevision(rev + 1, 0);
  const seen = new Set<string>();
  const add = (k: Buffer, v: Buffer, main: number, sub: number): void => {
    if (main <= compactRev && !keep.has(revisionId(main, sub))) return;
    h = crc32(k, h);
    h = crc32(v, h);
  };
  for (const [k, v] of store.keys.iterate({ lt: upper })) {
    const r = decodeRevision(k);
    seen.add(revisionId(r.main, r.sub));
    add(k, v, r.main, r.sub);
  }
  // rows of ended transactions that are not committed yet come after everything in RocksDB
  for (const [id, kv] of store.uncommittedRows()) {
    const main = kv.modRevision;
    const sub = typeof id === 'number' ? id - main * 1024 : Number(String(id).split('_')[1]);
    if (main > rev || seen.has(revisionId(main, sub))) continue;
    add(encodeRevision(main, sub), encodeKeyValue(kv, kv.createRevision === 0), main, sub);
  }
  return { hash: h >>> 0, compactRevision: compactRev, hashRevision: rev, revision: store.rev };
}

// Hash of the stored key-value history, for comparing members (etcd's HashKV): CRC-32C of the bucket
// name `key`, then of every row at or below the hashed revision that survives compaction, in revision
// order, each in etcd's stored form, so a history equal to a real etcd's hashes to the same value.
import { crc32c } from './crc32c';
import { etcdRow } from './etcd-form';
import { revisionId } from './key-index';
import { decodeKeyValue, isTombstoneRecord, type KeyValue } from './key-value';
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
  // as etcd: what the index keeps at the hashed revision, not at the compaction's
  const keep = compactRev > 0 ? store.index.keep(rev) : new Set<string>();
  let h = crc32c(Buffer.from('key'));
  const upper = encodeRevision(rev + 1, 0);
  const seen = new Set<string>();
  const add = (main: number, sub: number, kv: KeyValue, tombstone: boolean): void => {
    // etcd skips rows the compaction is about to remove only when it keeps some (an empty keep set
    // skips nothing), and so must we to hash alike
    if (main <= compactRev && keep.size > 0 && !keep.has(revisionId(main, sub))) return;
    const [k, v] = etcdRow(main, sub, kv, tombstone);
    h = crc32c(v, crc32c(k, h));
  };
  for (const [k, v] of store.keys.iterate({ lt: upper })) {
    const r = decodeRevision(k);
    seen.add(revisionId(r.main, r.sub));
    add(r.main, r.sub, decodeKeyValue(v), isTombstoneRecord(v));
  }
  // rows of ended transactions that are not committed yet come after everything in RocksDB
  for (const [id, kv] of store.uncommittedRows()) {
    const main = kv.modRevision;
    const sub = typeof id === 'number' ? id - main * 1024 : Number(String(id).split('_')[1]);
    if (main > rev || seen.has(revisionId(main, sub))) continue;
    add(main, sub, kv, kv.createRevision === 0);
  }
  return { hash: h >>> 0, compactRevision: compactRev, hashRevision: rev, revision: store.rev };
}

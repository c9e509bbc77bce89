// An etcd bbolt backend file (a snapshot) loaded into our RocksDB backend: the inverse of bolt-export.
// The 'key' bucket becomes the mvcc rows, 'meta' its compaction marks, 'lease' and the auth buckets are
// copied as they are (same record format), alarms are re-keyed. Members are not taken over: a restore
// starts a new cluster, as etcd's restore drops the members buckets.
import type { BoltReader } from '@kv/bbolt';
import { type Backend, encodeKeyValue, encodeRevision, META_KEYS } from '@kv/mvcc';
import { decodeEtcdAlarmKey, decodeEtcdKeyValue, parseEtcdRevisionKey, u64BE } from './etcd-records.js';

const PASS_THROUGH = new Set(['auth', 'authRoles', 'authUsers', 'lease']);
const ROWS_PER_BATCH = 2000;

export interface BoltImportResult {
  /** The newest revision in the 'key' bucket (0 when empty). */
  revision: number;
  keys: number;
  leases: number;
  compactRevision: number;
}

export function loadBoltIntoBackend(
  db: BoltReader,
  backend: Backend,
  consistentIndex: number,
): BoltImportResult {
  const res: BoltImportResult = { revision: 0, keys: 0, leases: 0, compactRevision: 0 };
  let pending = 0;
  const step = () => {
    if (++pending >= ROWS_PER_BATCH) {
      backend.commit();
      pending = 0;
    }
  };
  const buckets = db.buckets();
  for (const b of buckets) {
    const name = b.name.toString('latin1');
    if (name === 'key') {
      const ns = backend.namespace('key');
      db.forEach(b, (k, v) => {
        const rev = parseEtcdRevisionKey(k);
        const kv = decodeEtcdKeyValue(v);
        // etcd's tombstone holds only the key; ours records the deleting revision too
        if (rev.tombstone) kv.modRevision = rev.main;
        ns.put(encodeRevision(rev.main, rev.sub), encodeKeyValue(kv, rev.tombstone));
        res.revision = rev.main;
        res.keys++;
        step();
      });
    } else if (name === 'meta') {
      const ns = backend.namespace('meta');
      db.forEach(b, (k, v) => {
        const key = k.toString('latin1');
        if (key === 'scheduledCompactRev' || key === 'finishedCompactRev') {
          const rev = parseEtcdRevisionKey(v).main;
          ns.put(
            key === 'scheduledCompactRev' ? META_KEYS.scheduledCompactRev : META_KEYS.finishedCompactRev,
            u64BE(rev),
          );
          if (key === 'finishedCompactRev') res.compactRevision = rev;
        }
      });
      ns.put(META_KEYS.consistentIndex, u64BE(consistentIndex));
    } else if (name === 'alarm') {
      const ns = backend.namespace('alarm');
      db.forEach(b, (k) => {
        const a = decodeEtcdAlarmKey(k);
        const key = Buffer.alloc(12);
        key.writeBigUInt64BE(a.memberId, 0);
        key.writeUInt32BE(a.alarm, 8);
        ns.put(key, Buffer.alloc(0));
      });
    } else if (PASS_THROUGH.has(name)) {
      const ns = backend.namespace(name);
      db.forEach(b, (k, v) => {
        ns.put(k, v);
        if (name === 'lease') res.leases++;
        step();
      });
    }
  }
  if (!buckets.some((b) => b.name.toString('latin1') === 'meta')) {
    backend.namespace('meta').put(META_KEYS.consistentIndex, u64BE(consistentIndex));
  }
  backend.commit();
  return res;
}

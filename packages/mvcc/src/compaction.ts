// Physical compaction: removes, in bounded batches, the rows at or below the compact revision
// that the index no longer refers to. Between batches it yields to the event loop so reads and
// writes carry on; the rows it deletes are invisible to them already (the index was compacted
// when the compaction was scheduled).
import { setTimeout as sleep, setImmediate as yieldNow } from 'node:timers/promises';
import { revisionId } from './key-index';
import type { CompactionObserver, KVStore } from './kv-store';
import { decodeRevision, encodeRevision } from './revision';

export interface CompactionPacing {
  /** Rows examined (and at most deleted) per batch. */
  batch: number;
  pauseMs: number;
  observer?: CompactionObserver;
}

export async function runCompaction(store: KVStore, rev: number, pacing: CompactionPacing): Promise<void> {
  const keep = store.index.keep(rev);
  const end = encodeRevision(rev + 1, 0);
  let from = encodeRevision(0, 0);
  const start = performance.now();
  const observer = pacing.observer;
  for (;;) {
    if (store.isClosed()) return;
    const batchStart = performance.now();
    const del: Buffer[] = [];
    let freed = 0;
    let last: Buffer | undefined;
    let seen = 0;
    for (const [k, v] of store.keys.iterate({ gte: from, lt: end, chunk: pacing.batch })) {
      last = k;
      const r = decodeRevision(k);
      if (!keep.has(revisionId(r.main, r.sub))) {
        del.push(Buffer.from(k));
        freed += store.keys.prefix.length + k.length + v.length;
        store.forget(r.main, r.sub);
      }
      if (++seen >= pacing.batch) break;
    }
    if (del.length > 0) store.keys.writeNow({ del, freed });
    store.counts.compactedKeys += del.length;
    observer?.dbCompactionBatch(performance.now() - batchStart, del.length);
    if (last === undefined || seen < pacing.batch) {
      observer?.dbCompaction(performance.now() - start);
      return;
    }
    const next = decodeRevision(last);
    from = encodeRevision(next.main, next.sub + 1);
    if (pacing.pauseMs > 0) await sleep(pacing.pauseMs);
    else await yieldNow();
  }
}

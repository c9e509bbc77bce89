// The queue step shared by Mutex and Election: wait until every key under `prefix` created before
// `maxCreateRevision` + 1 is gone, watching only the newest such key each round (its deletion is the only
// event that can change who is next), so waiting costs one watch per waiter regardless of queue length.
import type { KV } from '../client';
import { toBuffer } from '../key-range';

/** @internal */
export async function waitDelete(
  kv: KV,
  key: Buffer,
  afterRevision: number,
  signal?: AbortSignal,
): Promise<void> {
  const w = await kv.watch(key, { startRevision: afterRevision + 1, filters: { noPut: true }, signal });
  try {
    for await (const ev of w) {
      if (ev.type === 'delete') return;
    }
    signal?.throwIfAborted();
    if (w.error) throw w.error;
  } finally {
    await w.cancel();
  }
}

/** @internal */
export async function waitDeletes(
  kv: KV,
  prefix: Buffer,
  maxCreateRevision: number,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const r = await kv.get(prefix, {
      prefix: true,
      maxCreateRevision,
      sort: { target: 'create', order: 'descend' },
      limit: 1,
      signal,
    });
    if (r.kvs.length === 0) return;
    await waitDelete(kv, toBuffer(r.kvs[0].key), r.header.revision, signal);
  }
}

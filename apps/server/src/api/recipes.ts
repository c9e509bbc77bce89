// Building blocks for the Lock and Election services, which etcd implements on top of its own client
// (clientv3/concurrency): txns and ranges through the core, and watches that wait for keys to go away.
import { etcdserverpb, type mvccpb, toNumber } from '@kv/api-proto';
import { etcdError } from '../errors';
import type { Access, Caller, EtcdServerApi, WatchStream } from '../server-api';

export const EventType = { PUT: 0, DELETE: 1 } as const;
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;
export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;
export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;

/** The end of the range holding every key that starts with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * With auth on, Lock and Election callers need `access` to every key under the name's prefix: etcd runs
 * these services on a client carrying the caller's token, so each of their operations is checked.
 */
export async function authorizePrefix(
  server: EtcdServerApi,
  caller: Caller,
  prefix: Uint8Array,
  access: Access,
): Promise<void> {
  const p = server.authorize(caller, prefix, prefixEnd(prefix), access);
  if (p !== undefined) await p;
}

export function txn(server: EtcdServerApi, req: Record<string, unknown>): Promise<etcdserverpb.ITxnResponse> {
  return server.txn(etcdserverpb.TxnRequest.fromObject(req));
}

export function range(
  server: EtcdServerApi,
  req: Record<string, unknown>,
): Promise<etcdserverpb.IRangeResponse> {
  return server.range(etcdserverpb.RangeRequest.fromObject(req));
}

/** A range op for the oldest (lowest create revision) key under `prefix`: who holds a lock or leads. */
export function firstCreate(prefix: Uint8Array): Record<string, unknown> {
  return {
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    sortOrder: SortOrder.ASCEND,
    sortTarget: SortTarget.CREATE,
    limit: 1,
  };
}

/** Something that ends a wait early (the RPC's client went away). */
export interface Cancellation {
  cancelled: boolean;
  onCancel(f: () => void): void;
}

export class CancelledError extends Error {}

/**
 * One watcher on the core, as an async queue of event batches. The watch is closed by `close()`, on
 * cancellation, or when compaction cancels it (next() then rejects with etcd's Compacted error).
 */
export class EventQueue {
  private readonly ws: WatchStream;
  private readonly batches: mvccpb.IEvent[][] = [];
  private headers: etcdserverpb.IResponseHeader[] = [];
  private waiter: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private failure: unknown = null;

  constructor(
    server: EtcdServerApi,
    key: Uint8Array,
    rangeEnd: Uint8Array,
    startRevision: number,
    cancel: Cancellation,
  ) {
    this.ws = server.watchStream({
      onEvents: (_id, events, header) => {
        this.batches.push(events);
        this.headers.push(header);
        this.wake();
      },
      onCompacted: () => this.fail(etcdError('Compacted')),
      onProgress: () => {},
    });
    this.ws.watch({
      watchId: 0,
      key,
      rangeEnd,
      startRevision,
      prevKv: false,
      noPut: false,
      noDelete: false,
      progressNotify: false,
    });
    cancel.onCancel(() => this.fail(new CancelledError('context canceled')));
  }

  /** The next batch of events with its header. */
  async next(): Promise<{ events: mvccpb.IEvent[]; header: etcdserverpb.IResponseHeader }> {
    for (;;) {
      if (this.batches.length > 0) return { events: this.batches.shift()!, header: this.headers.shift()! };
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
  }

  close(): void {
    this.ws.close();
    if (this.failure === null) this.failure = new CancelledError('watch closed');
    this.wake();
  }

  private fail(e: unknown): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.ws.close();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }
}

/** Resolves when `key` is deleted at or after revision `rev`. */
async function waitDelete(
  server: EtcdServerApi,
  key: Uint8Array,
  rev: number,
  cancel: Cancellation,
): Promise<void> {
  const q = new EventQueue(server, key, Buffer.alloc(0), rev, cancel);
  try {
    for (;;) {
      const { events } = await q.next();
      for (const ev of events) if ((ev.type ?? 0) === EventType.DELETE) return;
    }
  } finally {
    q.close();
  }
}

/**
 * Waits until no key under `prefix` with create revision <= maxCreateRev is left (etcd's waitDeletes):
 * the keys queued ahead of ours in a lock or an election. Returns the header of the last range.
 */
export async function waitDeletes(
  server: EtcdServerApi,
  prefix: Uint8Array,
  maxCreateRev: number,
  cancel: Cancellation,
): Promise<etcdserverpb.IResponseHeader> {
  for (;;) {
    if (cancel.cancelled) throw new CancelledError('context canceled');
    const resp = await range(server, {
      key: prefix,
      rangeEnd: prefixEnd(prefix),
      sortOrder: SortOrder.DESCEND,
      sortTarget: SortTarget.CREATE,
      limit: 1,
      maxCreateRevision: maxCreateRev,
    });
    const kvs = resp.kvs ?? [];
    if (kvs.length === 0) return resp.header!;
    await waitDelete(server, kvs[0]!.key!, toNumber(resp.header!.revision as any), cancel);
  }
}

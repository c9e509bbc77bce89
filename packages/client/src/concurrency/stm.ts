// Software transactional memory over etcd: run a function that reads and writes keys; its writes commit
// atomically only if what it read is unchanged, otherwise it runs again.
import type { KV } from '../client';
import { type Bytes, toBuffer } from '../key-range';
import type { GetResponse, LeaseRef } from '../kv';
import { Compare, type Comparison, Op, type Operation, type TxnResponse } from '../txn';

/**
 * Isolation levels, as etcd's concurrency package defines them:
 * - `serializable-snapshot`: reads see one snapshot (the revision of the first read); commits only if no
 *   key read or written changed since that snapshot.
 * - `serializable` (default): reads see one snapshot; commits only if no key read changed.
 * - `repeatable-read`: each key is read once at its latest value; commits only if no key read changed.
 * - `read-committed`: reads see the latest values; commits unconditionally.
 */
export type Isolation = 'serializable-snapshot' | 'serializable' | 'repeatable-read' | 'read-committed';

/** What the transaction function sees. Reads of keys it wrote return the written value. */
export interface STM {
  /** Value of `key` as a string ('' when missing). */
  get(key: Bytes): Promise<string>;
  /** Value of `key` as bytes (undefined when missing). */
  getBuffer(key: Bytes): Promise<Buffer | undefined>;
  /** Modification revision of `key` as read (0 when missing). */
  rev(key: Bytes): Promise<number>;
  put(key: Bytes, value: Bytes, options?: { lease?: LeaseRef }): void;
  delete(key: Bytes): void;
}

/** Options of `runSTM`. */
export interface STMOptions {
  isolation?: Isolation;
  /** Keys to read in one round before the first run (saves round trips). */
  prefetch?: Bytes[];
  /** Runs before giving up with STMConflictError. Default 50. */
  maxAttempts?: number;
  signal?: AbortSignal;
}

/** The transaction conflicted on every attempt. */
export class STMConflictError extends Error {
  override name = 'STMConflictError';
  constructor(attempts: number) {
    super(`stm: transaction conflicted ${attempts} times`);
  }
}

type Write = { value: Buffer; lease?: LeaseRef } | { deleted: true };

class Attempt implements STM {
  readonly reads = new Map<string, GetResponse>();
  readonly writes = new Map<string, Write>();
  snapshotRev = 0;

  constructor(
    private readonly kv: KV,
    private readonly isolation: Isolation,
    private readonly signal?: AbortSignal,
  ) {}

  private async read(key: Bytes): Promise<GetResponse> {
    const k = toBuffer(key).toString('latin1');
    const cached = this.reads.get(k);
    if (cached && this.isolation !== 'read-committed') return cached;
    const snapshot = this.isolation === 'serializable' || this.isolation === 'serializable-snapshot';
    const r = await this.kv.get(toBuffer(key), {
      revision: snapshot ? this.snapshotRev : 0,
      signal: this.signal,
    });
    if (snapshot && this.snapshotRev === 0) this.snapshotRev = r.header.revision;
    this.reads.set(k, r);
    return r;
  }

  async getBuffer(key: Bytes): Promise<Buffer | undefined> {
    const w = this.writes.get(toBuffer(key).toString('latin1'));
    if (w) return 'deleted' in w ? undefined : w.value;
    return (await this.read(key)).kvs[0]?.value;
  }

  async get(key: Bytes): Promise<string> {
    return (await this.getBuffer(key))?.toString('utf8') ?? '';
  }

  async rev(key: Bytes): Promise<number> {
    return (await this.read(key)).kvs[0]?.modRevision ?? 0;
  }

  put(key: Bytes, value: Bytes, options: { lease?: LeaseRef } = {}): void {
    this.writes.set(toBuffer(key).toString('latin1'), {
      value: Buffer.from(toBuffer(value)),
      lease: options.lease,
    });
  }

  delete(key: Bytes): void {
    this.writes.set(toBuffer(key).toString('latin1'), { deleted: true });
  }

  guards(): Comparison[] {
    if (this.isolation === 'read-committed') return [];
    const out: Comparison[] = [];
    for (const [k, r] of this.reads)
      out.push(Compare.modRevision(Buffer.from(k, 'latin1'), '=', r.kvs[0]?.modRevision ?? 0));
    if (this.isolation === 'serializable-snapshot' && this.snapshotRev > 0) {
      for (const k of this.writes.keys())
        out.push(Compare.modRevision(Buffer.from(k, 'latin1'), '<', this.snapshotRev + 1));
    }
    return out;
  }

  ops(): Operation[] {
    return [...this.writes].map(([k, w]) =>
      'deleted' in w
        ? Op.delete(Buffer.from(k, 'latin1'))
        : Op.put(Buffer.from(k, 'latin1'), w.value, { lease: w.lease }),
    );
  }
}

/**
 * Runs `apply` as a transaction with the given isolation, retrying it when a key it depends on changed
 * concurrently. Resolves with what `apply` returned and the committing txn's response.
 *
 * ```ts
 * await runSTM(client, async (stm) => {
 *   const n = Number((await stm.get('counter')) || '0');
 *   stm.put('counter', String(n + 1));
 * });
 * ```
 */
export async function runSTM<T>(
  kv: KV,
  apply: (stm: STM) => Promise<T> | T,
  options: STMOptions = {},
): Promise<{ result: T; response: TxnResponse }> {
  const isolation = options.isolation ?? 'serializable';
  const max = options.maxAttempts ?? 50;
  for (let attempt = 1; attempt <= max; attempt++) {
    options.signal?.throwIfAborted();
    const stm = new Attempt(kv, isolation, options.signal);
    if (options.prefetch?.length && attempt === 1) {
      for (const k of options.prefetch) await stm.rev(k);
    }
    const result = await apply(stm);
    const response = await kv
      .txn()
      .if(...stm.guards())
      .then(...stm.ops())
      .commit({ signal: options.signal });
    if (response.succeeded) return { result, response };
  }
  throw new STMConflictError(max);
}

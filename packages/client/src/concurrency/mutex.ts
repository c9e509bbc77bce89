// Mutex: a fair distributed lock. Each contender writes prefix/<lease ID hex> on its session lease; the
// holder is the key with the lowest create revision, and each waiter waits for the key just ahead of it.
import type { KV } from '../client';
import { type Bytes, toBuffer } from '../key-range';
import type { ResponseHeader } from '../key-value';
import { Compare, type Comparison, Op } from '../txn';
import { type Session, SessionExpiredError } from './session';
import { waitDeletes } from './wait-deletes';

/** @internal common part of Mutex and Election: the prefix with a trailing slash and our key under it. */
export function recipeKeys(prefix: Bytes, leaseId: bigint): { prefix: Buffer; key: Buffer } {
  const p = toBuffer(prefix);
  const pfx = p[p.length - 1] === 0x2f ? Buffer.from(p) : Buffer.concat([p, Buffer.from('/')]);
  return { prefix: pfx, key: Buffer.concat([pfx, Buffer.from(leaseId.toString(16))]) };
}

/**
 * A distributed mutex under `prefix`, held through a Session (one holder per session at a time).
 *
 * ```ts
 * const m = new Mutex(session, 'locks/job');
 * await m.lock();
 * try { ... } finally { await m.unlock(); }
 * ```
 */
export class Mutex {
  private readonly pfx: Buffer;
  private readonly myKey: Buffer;
  private myRev = -1;
  /** Header of the response that acquired the lock. */
  header?: ResponseHeader;
  private readonly kv: KV;

  constructor(
    private readonly session: Session,
    prefix: Bytes,
  ) {
    const k = recipeKeys(prefix, session.leaseId);
    this.pfx = k.prefix;
    this.myKey = k.key;
    this.kv = session.kv;
  }

  /** Our key (prefix/leaseIdHex). */
  get key(): Buffer {
    return this.myKey;
  }

  /** Create revision of our key while we hold or wait for the lock (-1 otherwise). */
  get revision(): number {
    return this.myRev;
  }

  /** Puts our key if needed; returns the create revision of the current holder (undefined: none). */
  private async tryAcquire(signal?: AbortSignal): Promise<number | undefined> {
    const getOwner = Op.get(this.pfx, {
      prefix: true,
      sort: { target: 'create', order: 'ascend' },
      limit: 1,
    });
    const r = await this.kv
      .txn()
      .if(Compare.createRevision(this.myKey, '=', 0))
      .then(Op.put(this.myKey, '', { lease: this.session.leaseId }), getOwner)
      .else(Op.get(this.myKey), getOwner)
      .commit({ signal });
    this.header = r.header;
    const mine = r.responses[0];
    this.myRev = r.succeeded
      ? r.header.revision
      : mine.type === 'get'
        ? (mine.kvs[0]?.createRevision ?? -1)
        : -1;
    const owner = r.responses[1];
    return owner.type === 'get' ? owner.kvs[0]?.createRevision : undefined;
  }

  /** Waits until the lock is ours. Aborting the signal gives up (and removes our place in the queue). */
  async lock(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.session.isExpired) throw new SessionExpiredError();
    const owner = await this.tryAcquire(options.signal);
    if (owner === undefined || owner === this.myRev) return;
    try {
      // Stop waiting (and drop the watch) if the session dies first.
      const stop = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
      try {
        await this.session.whileAlive(waitDeletes(this.kv, this.pfx, this.myRev - 1, signal));
      } finally {
        stop.abort();
      }
      // Our key must still be there: if the lease expired while we waited, we hold nothing.
      const g = await this.kv.get(this.myKey, { signal: options.signal });
      if (g.kvs.length === 0) throw new SessionExpiredError();
      this.header = g.header;
    } catch (e) {
      await this.unlock().catch(() => {});
      throw e;
    }
  }

  /** Takes the lock if nobody holds it; never waits. Resolves false (and leaves no key) if it is held. */
  async tryLock(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const owner = await this.tryAcquire(options.signal);
    if (owner === undefined || owner === this.myRev) return true;
    await this.kv.delete(this.myKey);
    this.myRev = -1;
    return false;
  }

  /** Releases the lock (or gives up waiting). */
  async unlock(): Promise<void> {
    await this.kv.delete(this.myKey);
    this.myRev = -1;
  }

  /** A guard that holds while we own the lock, for use in transactions. */
  isOwner(): Comparison {
    return Compare.createRevision(this.myKey, '=', this.myRev);
  }
}

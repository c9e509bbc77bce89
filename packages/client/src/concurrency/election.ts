// Election: leader election with the same fair queue as Mutex. The leader is the candidate key with the
// lowest create revision under the prefix; its value is the leader's proclamation.
import type { KV } from '../client';
import { type Bytes, toBuffer } from '../key-range';
import type { KeyValue, ResponseHeader } from '../key-value';
import { Compare, Op } from '../txn';
import { recipeKeys } from './mutex';
import { type Session, SessionExpiredError } from './session';
import { waitDeletes } from './wait-deletes';

/** The caller is not (or no longer) the leader of this election. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor() {
    super('election: not leader');
  }
}

/**
 * A leader election under `prefix`, campaigned through a Session.
 *
 * ```ts
 * const e = new Election(session, 'elections/scheduler');
 * await e.campaign('node-1');                  // resolves once we lead
 * for await (const leader of e.observe()) console.log(leader.valueString);
 * ```
 */
export class Election {
  private readonly pfx: Buffer;
  private readonly myKey: Buffer;
  private leaderRev = -1;
  private leading = false;
  private readonly kv: KV;
  /** Header of the response that made us leader. */
  header?: ResponseHeader;

  constructor(
    private readonly session: Session,
    prefix: Bytes,
  ) {
    const k = recipeKeys(prefix, session.leaseId);
    this.pfx = k.prefix;
    this.myKey = k.key;
    this.kv = session.kv;
  }

  /** Our candidate key. */
  get key(): Buffer {
    return this.myKey;
  }

  /** True after campaign() succeeded and until resign(). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Waits until we lead, with `value` as our proclamation. Aborting withdraws the candidacy. */
  async campaign(value: Bytes, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.session.isExpired) throw new SessionExpiredError();
    const r = await this.kv
      .txn()
      .if(Compare.createRevision(this.myKey, '=', 0))
      .then(Op.put(this.myKey, value, { lease: this.session.leaseId }))
      .else(Op.get(this.myKey))
      .commit({ signal: options.signal });
    let rev = r.header.revision;
    if (!r.succeeded) {
      const mine = r.responses[0];
      const kv = mine.type === 'get' ? mine.kvs[0] : undefined;
      if (!kv) throw new SessionExpiredError();
      rev = kv.createRevision;
      if (!kv.value.equals(toBuffer(value))) {
        this.leaderRev = rev;
        await this.putValue(value);
      }
    }
    this.leaderRev = rev;
    try {
      // Stop waiting (and drop the watch) if the session dies first.
      const stop = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
      try {
        await this.session.whileAlive(waitDeletes(this.kv, this.pfx, rev - 1, signal));
      } finally {
        stop.abort();
      }
      const g = await this.kv.get(this.myKey, { signal: options.signal });
      if (g.kvs.length === 0) throw new SessionExpiredError();
      this.header = g.header;
      this.leading = true;
    } catch (e) {
      await this.resign().catch(() => {});
      throw e;
    }
  }

  /** Changes the leader's value without an election. Fails with NotLeaderError unless we lead. */
  async proclaim(value: Bytes): Promise<void> {
    if (!this.leading) throw new NotLeaderError();
    await this.putValue(value);
  }

  private async putValue(value: Bytes): Promise<void> {
    const r = await this.kv
      .txn()
      .if(Compare.createRevision(this.myKey, '=', this.leaderRev))
      .then(Op.put(this.myKey, value, { lease: this.session.leaseId }))
      .commit();
    if (!r.succeeded) {
      this.leaderRev = -1;
      this.leading = false;
      throw new NotLeaderError();
    }
  }

  /** Gives up leadership (or candidacy); the next candidate takes over. */
  async resign(): Promise<void> {
    if (this.leaderRev <= 0) return;
    await this.kv
      .txn()
      .if(Compare.createRevision(this.myKey, '=', this.leaderRev))
      .then(Op.delete(this.myKey))
      .commit();
    this.leaderRev = -1;
    this.leading = false;
  }

  /** The current leader's key and value, or undefined when nobody leads. */
  async leader(): Promise<KeyValue | undefined> {
    const r = await this.kv.get(this.pfx, {
      prefix: true,
      sort: { target: 'create', order: 'ascend' },
      limit: 1,
    });
    return r.kvs[0];
  }

  /**
   * Yields the leader each time it changes (a new leader or a new proclamation), starting with the
   * current one. Stops when the signal aborts or the consumer breaks out.
   */
  async *observe(options: { signal?: AbortSignal } = {}): AsyncGenerator<KeyValue> {
    const signal = options.signal;
    for (;;) {
      if (signal?.aborted) return;
      const r = await this.kv.get(this.pfx, {
        prefix: true,
        sort: { target: 'create', order: 'ascend' },
        limit: 1,
        signal,
      });
      let leader = r.kvs[0];
      let rev = r.header.revision;
      if (!leader) {
        // Nobody leads: the first key put under the prefix after our read is the next leader.
        const w = await this.kv.watch(this.pfx, {
          prefix: true,
          startRevision: rev + 1,
          filters: { noDelete: true },
          signal,
        });
        try {
          for await (const ev of w) {
            leader = ev.kv;
            break;
          }
        } finally {
          await w.cancel();
        }
        if (!leader) return;
        rev = leader.modRevision;
      }
      yield leader;
      const w = await this.kv.watch(leader.key, { startRevision: rev + 1, signal });
      try {
        for await (const ev of w) {
          if (ev.type === 'delete') break;
          if (!ev.kv.value.equals(leader.value)) {
            leader = ev.kv;
            yield leader;
          }
        }
      } finally {
        await w.cancel();
      }
    }
  }
}

// etcd's concurrency recipes as clientv3/concurrency implements them (Session, Mutex, Election),
// over raw RPCs so that etcdctl's lock and elect print exactly the keys and values etcdctl does.
import type { Conn } from './conn';
import { hexId } from './go-format';
import { normalize } from './go-json';
import { type KeepAlive, keepAliveStream } from './lease-keepalive';
import type { Msg } from './printer';
import { prefixRangeEnd } from './printer-simple';
import * as S from './schemas';
import { openWatch } from './watch-stream';

/** A lease kept alive for as long as the command runs. */
export class Session {
  private ka: KeepAlive | undefined;
  private stopped = false;
  /** resolves when the lease can no longer be kept alive */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  private constructor(
    readonly conn: Conn,
    readonly lease: bigint,
  ) {
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
  }

  static async create(conn: Conn, ttl = 60): Promise<Session> {
    const g = normalize(S.LeaseGrantResponse, await conn.unary('Lease', 'LeaseGrant', { TTL: String(ttl), ID: '0' }));
    const s = new Session(conn, g.ID);
    s.ka = await keepAliveStream(conn, g.ID);
    void s.keepAlive(ttl);
    return s;
  }

  private async keepAlive(ttl: number): Promise<void> {
    try {
      while (!this.stopped) {
        const r = await this.ka?.next();
        if (!r) break;
        await this.ka?.sleep(Number(r.TTL || BigInt(ttl)) / 3);
      }
    } catch {
      // the lease is lost either way
    }
    if (!this.stopped) this.resolveDone();
  }

  /** Stops keeping the lease alive and revokes it. */
  async close(): Promise<void> {
    this.stopped = true;
    this.ka?.close();
    try {
      await this.conn.unary('Lease', 'LeaseRevoke', { ID: this.lease.toString() }, 1000);
    } catch {
      // it expires on its own
    }
  }
}

const bytes = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/** Waits until every key under pfx created at or before maxCreateRev is deleted. */
async function waitDeletes(conn: Conn, pfx: Buffer, maxCreateRev: number): Promise<void> {
  for (;;) {
    const r = normalize(
      S.RangeResponse,
      await conn.unary('KV', 'Range', {
        key: pfx,
        rangeEnd: prefixRangeEnd(pfx),
        limit: 1,
        sortOrder: 2,
        sortTarget: 2,
        maxCreateRevision: maxCreateRev,
      }, 2 ** 31 - 1),
    );
    if (r.kvs.length === 0) return;
    const key = r.kvs[0].key as Buffer;
    const w = await openWatch(conn, { key, startRevision: Number(r.header.revision) });
    try {
      outer: for await (const wr of w.responses()) {
        for (const ev of wr.events) if (ev.type === 1) break outer;
      }
    } finally {
      w.close();
    }
  }
}

function firstCreate(pfx: Buffer) {
  return { key: pfx, rangeEnd: prefixRangeEnd(pfx), limit: 1, sortOrder: 1, sortTarget: 2 };
}

export class Mutex {
  readonly pfx: Buffer;
  readonly myKey: Buffer;
  myRev = 0;
  header: Msg;

  constructor(
    readonly session: Session,
    name: string,
  ) {
    this.pfx = bytes(`${name}/`);
    this.myKey = Buffer.concat([this.pfx, bytes(hexId(session.lease))]);
  }

  async lock(): Promise<void> {
    const conn = this.session.conn;
    const r = normalize(
      S.TxnResponse,
      await conn.unary(
        'KV',
        'Txn',
        {
          compare: [{ key: this.myKey, target: 1, result: 0, createRevision: '0' }],
          success: [{ requestPut: { key: this.myKey, value: Buffer.alloc(0), lease: this.session.lease.toString() } }],
          failure: [{ requestRange: { key: this.myKey } }],
        },
        2 ** 31 - 1,
      ),
    );
    this.myRev = Number(r.header.revision);
    if (!r.succeeded) this.myRev = Number(r.responses[0].responseRange.kvs[0].createRevision);
    const owner = normalize(S.RangeResponse, await conn.unary('KV', 'Range', firstCreate(this.pfx), 2 ** 31 - 1));
    if (owner.kvs.length === 0 || Number(owner.kvs[0].createRevision) === this.myRev) {
      this.header = r.header;
      return;
    }
    await waitDeletes(conn, this.pfx, this.myRev - 1);
    this.header = r.header;
  }

  async unlock(): Promise<void> {
    await this.session.conn.unary('KV', 'DeleteRange', { key: this.myKey });
  }
}

export class Election {
  readonly keyPrefix: Buffer;
  leaderKey: Buffer | undefined;
  leaderRev = 0;

  constructor(
    readonly session: Session,
    name: string,
  ) {
    this.keyPrefix = bytes(`${name}/`);
  }

  async campaign(val: string): Promise<void> {
    const conn = this.session.conn;
    const k = Buffer.concat([this.keyPrefix, bytes(hexId(this.session.lease))]);
    const r = normalize(
      S.TxnResponse,
      await conn.unary(
        'KV',
        'Txn',
        {
          compare: [{ key: k, target: 1, result: 0, createRevision: '0' }],
          success: [{ requestPut: { key: k, value: bytes(val), lease: this.session.lease.toString() } }],
          failure: [{ requestRange: { key: k } }],
        },
        2 ** 31 - 1,
      ),
    );
    this.leaderKey = k;
    this.leaderRev = Number(r.header.revision);
    if (!r.succeeded) {
      const kv = r.responses[0].responseRange.kvs[0];
      this.leaderRev = Number(kv.createRevision);
      if (kv.value.toString('utf8') !== val) {
        await conn.unary('KV', 'Txn', {
          compare: [{ key: k, target: 2, result: 0, modRevision: String(this.leaderRev) }],
          success: [{ requestPut: { key: k, value: bytes(val), lease: this.session.lease.toString() } }],
        });
      }
    }
    await waitDeletes(conn, this.keyPrefix, this.leaderRev - 1);
  }

  async resign(): Promise<void> {
    if (!this.leaderKey) return;
    await this.session.conn.unary('KV', 'Txn', {
      compare: [{ key: this.leaderKey, target: 2, result: 0, modRevision: String(this.leaderRev) }],
      success: [{ requestDeleteRange: { key: this.leaderKey } }],
    });
    this.leaderKey = undefined;
  }
}

/** clientv3's Election.Observe: the current leader, then every change of it, as GetResponses. */
export async function* observe(conn: Conn, name: string, signal: AbortSignal): AsyncGenerator<Msg> {
  const pfx = bytes(`${name}/`);
  while (!signal.aborted) {
    const resp = normalize(S.RangeResponse, await conn.unary('KV', 'Range', firstCreate(pfx), 2 ** 31 - 1));
    let kv: Msg;
    let hdr: Msg;
    if (resp.kvs.length === 0) {
      const w = await openWatch(conn, { key: pfx, rangeEnd: prefixRangeEnd(pfx), startRevision: Number(resp.header.revision) });
      signal.addEventListener('abort', () => w.close(), { once: true });
      outer: for await (const wr of w.responses()) {
        for (const ev of wr.events) {
          if (ev.type === 0) {
            hdr = { ...wr.header, revision: ev.kv.modRevision };
            kv = ev.kv;
            break outer;
          }
        }
      }
      w.close();
      if (!kv) return;
    } else {
      hdr = resp.header;
      kv = resp.kvs[0];
    }
    yield { header: hdr, kvs: [kv], more: false, count: 0n };
    const w = await openWatch(conn, { key: kv.key, startRevision: Number(hdr.revision) + 1 });
    signal.addEventListener('abort', () => w.close(), { once: true });
    let deleted = false;
    for await (const wr of w.responses()) {
      for (const ev of wr.events) {
        if (ev.type === 1) {
          deleted = true;
          break;
        }
        yield { header: wr.header, kvs: [ev.kv], more: resp.more, count: resp.count };
      }
      if (deleted) break;
    }
    w.close();
    if (!deleted) return;
  }
}

// clientv3's Election.Observe, which etcdctl's `elect -l` prints response by response (header
// included), over raw RPCs; campaigning and locking use @kv/client's Session, Election and Mutex.
import type { Conn } from './conn';
import { normalize } from './go-json';
import type { Msg } from './printer';
import { prefixRangeEnd } from './printer-simple';
import * as S from './schemas';
import { openWatch } from './watch-stream';

const bytes = (s: string) => Buffer.from(s, 'utf8');

function firstCreate(pfx: Buffer) {
  return { key: pfx, rangeEnd: prefixRangeEnd(pfx), limit: 1, sortOrder: 1, sortTarget: 2 };
}

/** clientv3's Election.Observe: the current leader, then every change of it, as GetResponses. */
export async function* observe(conn: Conn, name: string, signal: AbortSignal): AsyncGenerator<Msg> {
  const pfx = bytes(`${name}/`);
  while (!signal.aborted) {
    const resp = normalize(S.RangeResponse, await conn.unary('KV', 'Range', firstCreate(pfx), 2 ** 31 - 1));
    let kv: Msg;
    let hdr: Msg;
    if (resp.kvs.length === 0) {
      const w = await openWatch(conn, {
        key: pfx,
        rangeEnd: prefixRangeEnd(pfx),
        startRevision: Number(resp.header.revision),
      });
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

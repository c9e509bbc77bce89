// A LeaseKeepAlive stream for one lease: send a request, await its answer; undefined once the lease
// is gone (TTL <= 0), as clientv3 closes its channel then.
import type { Conn } from './conn';
import { normalize } from './go-json';
import type { Msg } from './printer';
import { LeaseKeepAliveResponse } from './schemas';

export interface KeepAlive {
  next(): Promise<Msg | undefined>;
  sleep(seconds: number): Promise<void>;
  close(): void;
}

export async function keepAliveStream(conn: Conn, id: bigint): Promise<KeepAlive> {
  const stream = await conn.bidi('Lease', 'LeaseKeepAlive');
  const waiting: Array<{ resolve(v: Msg): void; reject(e: unknown): void }> = [];
  let failure: unknown;
  stream.on('data', (raw: unknown) => waiting.shift()?.resolve(normalize(LeaseKeepAliveResponse, raw)));
  stream.on('error', (e: unknown) => {
    failure = e;
    for (const w of waiting.splice(0)) w.reject(e);
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    next() {
      if (failure) return Promise.reject(failure);
      return new Promise<Msg>((resolve, reject) => {
        waiting.push({ resolve, reject });
        stream.write({ ID: id.toString() });
      }).then((r) => (r.TTL <= 0n ? undefined : r));
    },
    sleep(seconds: number) {
      return new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(seconds, 0.5) * 1000);
      });
    },
    close() {
      if (timer) clearTimeout(timer);
      stream.cancel();
    },
  };
}

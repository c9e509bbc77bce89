// One watcher on its own Watch stream, as clientv3.Watch delivers it: the "created" answer is
// swallowed, every later response (events, progress notifications, the final cancel) is yielded.
import type { Conn } from './conn';
import { normalize } from './go-json';
import type { Msg } from './printer';
import { WatchResponse } from './schemas';

export interface WatchSpec {
  key: Buffer;
  rangeEnd?: Buffer;
  startRevision?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
}

export interface WatchHandle {
  responses(): AsyncIterable<Msg>;
  requestProgress(): void;
  close(): void;
}

export async function openWatch(conn: Conn, spec: WatchSpec): Promise<WatchHandle> {
  const stream = await conn.bidi('Watch', 'Watch');
  const queue: Msg[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  stream.on('data', (raw: unknown) => {
    queue.push(normalize(WatchResponse, raw));
    wake?.();
  });
  stream.on('error', (e: unknown) => {
    failure = e;
    ended = true;
    wake?.();
  });
  stream.on('end', () => {
    ended = true;
    wake?.();
  });
  const create: Record<string, unknown> = { key: spec.key, prevKv: !!spec.prevKv, progressNotify: !!spec.progressNotify };
  if (spec.rangeEnd && spec.rangeEnd.length > 0) create.rangeEnd = spec.rangeEnd;
  if (spec.startRevision) create.startRevision = spec.startRevision;
  stream.write({ createRequest: create });
  let closed = false;
  return {
    async *responses() {
      for (;;) {
        while (queue.length > 0) {
          const r = queue.shift();
          if (r.created && r.events.length === 0 && !r.canceled) continue;
          yield r;
          if (r.canceled) return;
        }
        if (ended || closed) {
          if (failure && !closed) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
    requestProgress() {
      stream.write({ progressRequest: {} });
    },
    close() {
      closed = true;
      stream.cancel();
      wake?.();
    },
  };
}

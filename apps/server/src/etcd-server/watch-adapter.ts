import type { etcdserverpb, mvccpb } from '@kv/api-proto';
import type { Event, WatchStream as StoreWatchStream } from '@kv/mvcc';
import { kvToPb } from '../apply/pb-convert.js';
import type { WatchCreate, WatchSink, WatchStream } from '../server-api.js';

function eventToPb(e: Event): mvccpb.IEvent {
  return {
    type: e.type === 'PUT' ? 0 : 1,
    kv: kvToPb(e.kv),
    prevKv: e.prevKv ? kvToPb(e.prevKv) : undefined,
  };
}

/**
 * One client Watch stream over the store's WatchStream: pumps the store's responses into the front end's
 * sink (events, compaction cancels, progress) and keeps the per-watcher progress_notify timers.
 */
export class WatchAdapter implements WatchStream {
  private readonly progressWatchers = new Set<number>();
  private progressTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly stream: StoreWatchStream,
    private readonly sink: WatchSink,
    private readonly header: (revision?: number) => etcdserverpb.IResponseHeader,
    progressIntervalMs: number,
  ) {
    void this.pump();
    if (progressIntervalMs > 0) {
      this.progressTimer = setInterval(() => {
        for (const id of this.progressWatchers) this.stream.requestProgress(id);
      }, progressIntervalMs);
      this.progressTimer.unref();
    }
  }

  private async pump(): Promise<void> {
    for await (const r of this.stream) {
      if (this.closed) return;
      const h = this.header(r.revision);
      if (r.compactRevision > 0) {
        this.progressWatchers.delete(r.watchId);
        this.sink.onCompacted(r.watchId, r.compactRevision, h);
      } else if (r.events.length > 0) {
        this.sink.onEvents(r.watchId, r.events.map(eventToPb), h);
      } else if (!r.canceled) {
        this.sink.onProgress(r.watchId, h);
      }
    }
  }

  watch(req: WatchCreate): number {
    const id = this.stream.watch({
      watchId: req.watchId,
      key: req.key,
      rangeEnd: req.rangeEnd.length > 0 ? req.rangeEnd : undefined,
      startRevision: req.startRevision,
      prevKv: req.prevKv,
      noPut: req.noPut,
      noDelete: req.noDelete,
    });
    if (req.progressNotify) this.progressWatchers.add(id);
    return id;
  }

  cancel(watchId: number): boolean {
    this.progressWatchers.delete(watchId);
    return this.stream.cancel(watchId);
  }

  requestProgress(): void {
    // Answer once what is queued has gone out, so the reported revision does not overtake events.
    const check = (tries: number) => {
      if (this.closed) return;
      if (this.stream.pending === 0 || tries > 100) this.sink.onProgress(-1, this.header());
      else setTimeout(() => check(tries + 1), 10);
    };
    setImmediate(() => check(0));
  }

  close(): void {
    this.closed = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.stream.close();
  }
}

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
  /** Each watcher's request and the next revision it has not seen, to move it to a new store. */
  private readonly watchers = new Map<number, { req: WatchCreate; nextRev: number }>();
  private progressTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private stream: StoreWatchStream;

  constructor(
    stream: StoreWatchStream,
    private readonly sink: WatchSink,
    private readonly header: (revision?: number) => etcdserverpb.IResponseHeader,
    progressIntervalMs: number,
    private readonly currentRev: () => number,
    private readonly onClose: (a: WatchAdapter) => void,
  ) {
    this.stream = stream;
    void this.pump(stream);
    if (progressIntervalMs > 0) {
      this.progressTimer = setInterval(() => {
        for (const id of this.progressWatchers) this.stream.requestProgress(id);
      }, progressIntervalMs);
      this.progressTimer.unref();
    }
  }

  private async pump(stream: StoreWatchStream): Promise<void> {
    for await (const r of stream) {
      if (this.closed || stream !== this.stream) return;
      const h = this.header(r.revision);
      const w = this.watchers.get(r.watchId);
      if (r.compactRevision > 0) {
        this.progressWatchers.delete(r.watchId);
        this.watchers.delete(r.watchId);
        this.sink.onCompacted(r.watchId, r.compactRevision, h);
      } else if (r.events.length > 0) {
        if (w) w.nextRev = Math.max(w.nextRev, r.events[r.events.length - 1]!.kv.modRevision + 1);
        this.sink.onEvents(r.watchId, r.events.map(eventToPb), h);
      } else if (!r.canceled) {
        if (w) w.nextRev = Math.max(w.nextRev, r.revision + 1);
        this.sink.onProgress(r.watchId, h);
      }
    }
  }

  /**
   * The member installed a snapshot and has a new store: every watcher moves over and resumes from the
   * first revision it has not been sent, so the client sees no gap and no duplicate.
   */
  rebind(stream: StoreWatchStream): void {
    if (this.closed) {
      stream.close();
      return;
    }
    this.stream = stream;
    for (const [id, w] of this.watchers) {
      stream.watch({
        watchId: id,
        key: w.req.key,
        rangeEnd: w.req.rangeEnd.length > 0 ? w.req.rangeEnd : undefined,
        startRevision: w.nextRev,
        prevKv: w.req.prevKv,
        noPut: w.req.noPut,
        noDelete: w.req.noDelete,
      });
    }
    void this.pump(stream);
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
    this.watchers.set(id, {
      req,
      nextRev: req.startRevision > 0 ? req.startRevision : this.currentRev() + 1,
    });
    return id;
  }

  cancel(watchId: number): boolean {
    this.progressWatchers.delete(watchId);
    this.watchers.delete(watchId);
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
    this.onClose(this);
  }
}

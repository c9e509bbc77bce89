// The store with watch. Watchers live in one of three places, as in etcd:
// - synced: caught up; every write transaction's events are pushed to them as it ends;
// - unsynced: behind (started in the past, or recovering); a sync pass reads their missed
//   history from the store, bounded per pass, and moves them to synced when caught up;
// - victims: their stream was full; the batch waits and is retried when the stream drains,
//   so a slow consumer never blocks writers.
// A watcher only ever moves forward through revisions (minRev), so there is no gap and no duplicate.
import type { Backend } from './backend';
import { decodeKeyValue, type Event, isTombstoneRecord, type KeyValue, tombstoneKeyValue } from './key-value';
import { KVStore, type KVStoreOptions } from './kv-store';
import { keyString, rangeEndString } from './kv-txn';
import { decodeRevision, encodeRevision } from './revision';
import { Watcher, WatcherGroup, type WatchFilters } from './watcher-group';

export interface WatchRequest {
  key: Uint8Array;
  /** As in range: absent = the key, a lone 0 byte = every key >= key. */
  rangeEnd?: Uint8Array;
  /** First revision to report (0 or absent = from the next write). */
  startRevision?: number;
  prevKv?: boolean;
  /** etcd's NOPUT / NODELETE filters. */
  noPut?: boolean;
  noDelete?: boolean;
  /** Watch id to use (etcd lets clients pick one); default: next free id of the stream. */
  watchId?: number;
}

export interface WatchResponse {
  watchId: number;
  events: Event[];
  /** The store revision the response reflects (the response header's revision). */
  revision: number;
  /** Non-zero when the start revision was compacted: the watcher is canceled. */
  compactRevision: number;
  canceled: boolean;
}

export interface WatchableStoreOptions extends KVStoreOptions {
  /** Responses a stream buffers before its watchers become victims (default 128, as etcd). */
  streamCapacity?: number;
  /** Revisions of history read per watcher sync pass (default 1000). */
  syncRevisions?: number;
  /** Unsynced watchers handled per sync pass (default 512). */
  syncWatchers?: number;
}

/** The consumer side of a set of watchers: responses in order, with a bounded buffer. */
export class WatchStream implements AsyncIterable<WatchResponse> {
  private readonly queue: WatchResponse[] = [];
  private waiters: ((r: WatchResponse | undefined) => void)[] = [];
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  private closed = false;

  /** @internal */
  constructor(
    private readonly store: WatchableStore,
    private readonly capacity: number,
  ) {}

  /** Starts a watcher; returns its id. Throws if the requested id is in use. */
  watch(req: WatchRequest): number {
    if (this.closed) throw new Error('mvcc: watch stream is closed');
    // a range that holds no key (key >= range end; "\0" = every key >= key) is refused, as etcd does
    const end = req.rangeEnd;
    if (end && end.length > 0 && !(end.length === 1 && end[0] === 0) && Buffer.compare(req.key, end) >= 0) {
      throw new Error('mvcc: watcher range is empty');
    }
    // as etcd: id 0 (or none) asks for the next free id
    let id = req.watchId ?? 0;
    if (id !== 0) {
      if (this.watchers.has(id)) throw new Error('mvcc: duplicate watch ID provided on the WatchStream');
    } else {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const filters: WatchFilters = { noPut: req.noPut === true, noDelete: req.noDelete === true };
    const w = new Watcher(
      id,
      keyString(req.key),
      rangeEndString(req.rangeEnd),
      req.startRevision ?? 0,
      req.prevKv === true,
      filters,
      this,
    );
    this.watchers.set(id, w);
    this.store.addWatcher(w, req.startRevision ?? 0);
    return id;
  }

  /** Stops a watcher; false if there was none with that id. */
  cancel(id: number): boolean {
    const w = this.watchers.get(id);
    if (w === undefined) return false;
    this.watchers.delete(id);
    this.store.removeWatcher(w);
    return true;
  }

  /** Queues an empty response with the current revision for a caught-up watcher (false if it is behind). */
  requestProgress(id: number): boolean {
    const w = this.watchers.get(id);
    if (w === undefined) return false;
    return this.store.progress(w);
  }

  /** @internal */
  send(r: WatchResponse): boolean {
    if (this.closed) return true;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.store.counts.events += r.events.length;
      waiter(r);
      return true;
    }
    if (this.queue.length >= this.capacity) return false;
    this.store.counts.events += r.events.length;
    this.queue.push(r);
    return true;
  }

  /** @internal a watcher the store gave up on (compacted start) */
  dropped(w: Watcher): void {
    if (this.watchers.get(w.id) === w) this.watchers.delete(w.id);
  }

  /** The next response without waiting, if one is buffered. */
  tryNext(): WatchResponse | undefined {
    const r = this.queue.shift();
    // there is room now: a batch parked for one of this stream's watchers can go
    this.store.kickVictims();
    return r;
  }

  /** The next response; undefined once the stream is closed. */
  next(): Promise<WatchResponse | undefined> {
    const r = this.tryNext();
    if (r !== undefined || this.closed) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      const r = await this.next();
      if (r === undefined) return;
      yield r;
    }
  }

  /** Buffered responses. */
  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    if (this.closed) return;
    for (const w of this.watchers.values()) this.store.removeWatcher(w);
    this.watchers.clear();
    this.closed = true;
    this.store.streamClosed(this);
    this.queue.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}

export class WatchableStore extends KVStore {
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new WatcherGroup();
  private victims = new Map<Watcher, { events: Event[]; rev: number }>();
  private readonly streams = new Set<WatchStream>();
  private syncScheduled = false;
  private victimTimer: NodeJS.Timeout | undefined;
  private victimImmediate = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly wopts: WatchableStoreOptions;

  protected constructor(backend: Backend, options: WatchableStoreOptions = {}) {
    super(backend, options);
    this.wopts = options;
  }

  static override async open(backend: Backend, options: WatchableStoreOptions = {}): Promise<WatchableStore> {
    const s = new WatchableStore(backend, options);
    await s.restore();
    return s;
  }

  newWatchStream(): WatchStream {
    const s = new WatchStream(this, this.wopts.streamCapacity ?? 128);
    this.streams.add(s);
    return s;
  }

  /** Watchers by state, for tests and metrics. */
  watcherCounts(): { synced: number; unsynced: number; victims: number } {
    return { synced: this.synced.size, unsynced: this.unsynced.size, victims: this.victims.size };
  }

  /** Open watch streams and the events held for victim watchers, for metrics. */
  streamCounts(): { streams: number; pendingEvents: number } {
    let pendingEvents = 0;
    for (const v of this.victims.values()) pendingEvents += v.events.length;
    return { streams: this.streams.size, pendingEvents };
  }

  /** @internal */
  streamClosed(s: WatchStream): void {
    this.streams.delete(s);
  }

  /** @internal */
  addWatcher(w: Watcher, startRev: number): void {
    const cur = this.rev;
    if (startRev === 0 || startRev > cur) {
      w.minRev = Math.max(cur + 1, startRev);
      this.synced.add(w);
    } else {
      w.minRev = startRev;
      this.unsynced.add(w);
      this.scheduleSync(0);
    }
  }

  /** @internal */
  removeWatcher(w: Watcher): void {
    w.canceled = true;
    this.synced.delete(w) || this.unsynced.delete(w);
    this.victims.delete(w);
  }

  /** @internal */
  progress(w: Watcher): boolean {
    if (!this.synced.has(w)) return false;
    return w.sink.send({
      watchId: w.id,
      events: [],
      revision: this.rev,
      compactRevision: 0,
      canceled: false,
    });
  }

  protected override notify(rev: number, events: Event[]): void {
    if (this.synced.size === 0) return;
    const batches = this.synced.batch(events, keyOfKv);
    for (const [w, evs] of batches) {
      w.minRev = rev + 1;
      const resp = this.response(w, evs, rev);
      if (!w.sink.send(resp)) {
        w.victim = true;
        this.synced.delete(w);
        this.victims.set(w, { events: resp.events, rev });
        this.scheduleVictims(10);
      }
    }
  }

  private response(w: Watcher, events: Event[], rev: number): WatchResponse {
    if (w.prevKv) events = events.map((ev) => this.withPrevKv(ev));
    return { watchId: w.id, events, revision: rev, compactRevision: 0, canceled: false };
  }

  /**
   * The key's value just before the event's revision, if that history is still there. A create (a put
   * whose key starts a new generation) never gets one, as in etcd, even when a delete earlier in the
   * same txn removed an older generation of the key.
   */
  private withPrevKv(ev: Event): Event {
    if (ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision) return ev;
    const rev = ev.kv.modRevision - 1;
    if (rev < this.compactRevision || rev < 1) return ev;
    const kv = this.read().range(ev.kv.key, undefined, { rev }).kvs[0];
    return kv === undefined ? ev : { ...ev, prevKv: kv };
  }

  /** @internal a stream drained: retry its victims soon */
  kickVictims(): void {
    if (this.victims.size === 0 || this.victimImmediate) return;
    this.victimImmediate = true;
    setImmediate(() => {
      this.victimImmediate = false;
      if (!this.isClosed() && this.victims.size > 0) this.syncVictims();
    });
  }

  private scheduleVictims(ms: number): void {
    const run = (): void => {
      if (this.isClosed() || this.victims.size === 0) return;
      this.syncVictims();
    };
    // a draining stream kicks a retry at once; besides, one timer polls (etcd retries every 10ms)
    if (ms === 0) this.kickVictims();
    else if (!this.victimTimer) {
      this.victimTimer = setTimeout(() => {
        this.victimTimer = undefined;
        run();
      }, ms);
      this.victimTimer.unref();
    }
  }

  private syncVictims(): void {
    const cur = this.rev;
    for (const [w, batch] of this.victims) {
      if (!w.sink.send(this.responseOf(w, batch.events, batch.rev))) continue;
      this.victims.delete(w);
      w.victim = false;
      if (w.minRev <= cur) {
        this.unsynced.add(w);
        this.scheduleSync(0);
      } else this.synced.add(w);
    }
    if (this.victims.size > 0) this.scheduleVictims(10);
  }

  // victim batches already carry prevKv where asked
  private responseOf(w: Watcher, events: Event[], rev: number): WatchResponse {
    return { watchId: w.id, events, revision: rev, compactRevision: 0, canceled: false };
  }

  private scheduleSync(ms: number): void {
    if (this.syncScheduled) return;
    const run = (): void => {
      this.syncScheduled = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.isClosed()) return;
      this.syncWatchers();
      if (this.unsynced.size > 0) this.scheduleSync(10);
    };
    if (ms === 0) {
      // an immediate pass replaces a pending timed one
      this.syncScheduled = true;
      setImmediate(run);
    } else if (!this.timer) {
      // kept referenced: unsynced watchers always make progress, so this ends
      this.timer = setTimeout(run, ms);
    }
  }

  /** One pass over (up to syncWatchers) unsynced watchers: replay their history from the store. */
  private syncWatchers(): void {
    const cur = this.rev;
    const compactRev = this.compactRevision;
    const chosen: Watcher[] = [];
    const limit = this.wopts.syncWatchers ?? 512;
    for (const w of this.unsynced.all()) {
      if (chosen.length >= limit) break;
      chosen.push(w);
    }
    let minRev = Number.MAX_SAFE_INTEGER;
    const group = new WatcherGroup();
    for (const w of chosen) {
      if (w.minRev < compactRev) {
        // history is gone: tell the watcher where it went and cancel it
        if (
          w.sink.send({
            watchId: w.id,
            events: [],
            revision: cur,
            compactRevision: compactRev,
            canceled: true,
          })
        ) {
          this.unsynced.delete(w);
          (w.sink as WatchStream).dropped?.(w);
        }
        continue;
      }
      if (w.minRev > cur) {
        this.unsynced.delete(w);
        this.synced.add(w);
        continue;
      }
      minRev = Math.min(minRev, w.minRev);
      group.add(w);
    }
    if (group.size === 0) return;
    const maxRev = Math.min(cur, minRev + (this.wopts.syncRevisions ?? 1000) - 1);
    const events = this.history(minRev, maxRev);
    const batches = group.batch(events, keyOfKv);
    for (const w of group.all()) {
      const evs = batches.get(w);
      w.minRev = maxRev + 1;
      if (evs === undefined) {
        if (maxRev === cur) {
          this.unsynced.delete(w);
          this.synced.add(w);
        }
        continue;
      }
      const resp = this.response(w, evs, cur);
      if (!w.sink.send(resp)) {
        this.unsynced.delete(w);
        w.victim = true;
        this.victims.set(w, { events: resp.events, rev: cur });
        this.scheduleVictims(10);
      } else if (maxRev === cur) {
        this.unsynced.delete(w);
        this.synced.add(w);
      }
    }
  }

  /** Events of revisions [from, to], in revision order, from RocksDB and not yet committed rows. */
  private history(from: number, to: number): Event[] {
    const events: Event[] = [];
    let last = 0;
    for (const [k, v] of this.keys.iterate({ gte: encodeRevision(from, 0), lt: encodeRevision(to + 1, 0) })) {
      const r = decodeRevision(k);
      last = r.main;
      if (isTombstoneRecord(v)) {
        const kv = decodeKeyValue(v);
        events.push({ type: 'DELETE', kv: tombstoneKeyValue(kv.key, r.main) });
      } else events.push({ type: 'PUT', kv: decodeKeyValue(v) });
    }
    for (const [, kv] of this.uncommittedRows()) {
      const main = kv.modRevision;
      if (main < from || main > to || main <= last) continue;
      events.push(kv.createRevision === 0 ? { type: 'DELETE', kv } : { type: 'PUT', kv });
    }
    return events;
  }

  override async close(): Promise<void> {
    for (const s of [...this.streams]) s.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.victimTimer) clearTimeout(this.victimTimer);
    await super.close();
  }
}

function keyOfKv(kv: KeyValue): string {
  return keyString(kv.key);
}

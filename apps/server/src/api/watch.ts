// Watch service: one bidi stream multiplexes many watchers. Requests create/cancel watchers or ask for
// progress; responses are what etcd's v3rpc watch server sends: a `created` response before any event of a
// watcher, `canceled` on cancel or compaction, empty responses for progress, and large event batches split
// into `fragment` parts for watchers that asked for it.
import { type etcdserverpb, type mvccpb, toNumber, Watch } from '@kv/api-proto';
import type { ServerStream } from '../frontend/grpc-server';
import type { EtcdServerApi, WatchSink, WatchStream } from '../server-api';
import { type HandlerTable, stream } from './handlers';

export interface WatchOptions {
  /** Batches larger than this are split for watchers created with `fragment` (etcd: --max-request-bytes). */
  maxResponseBytes: number;
}

export function addWatch(table: HandlerTable, server: EtcdServerApi, opts: WatchOptions): void {
  stream(table, Watch.Watch, (call: ServerStream<etcdserverpb.WatchRequest, etcdserverpb.IWatchResponse>) => {
    new WatchSession(server, call, opts.maxResponseBytes);
  });
}

const NOPUT = 0;
const NODELETE = 1;

class WatchSession implements WatchSink {
  private readonly ws: WatchStream;
  private readonly fragmenting = new Set<number>();
  /** While a watcher is being created, sink output is held so `created` goes first. */
  private held: (() => void)[] | null = null;
  /** With auth on, a create waits for its permission check; later requests queue behind it, in order. */
  private queue: Promise<void> | null = null;

  constructor(
    private readonly server: EtcdServerApi,
    private readonly call: ServerStream<etcdserverpb.WatchRequest, etcdserverpb.IWatchResponse>,
    private readonly maxBytes: number,
  ) {
    this.ws = server.watchStream(this);
    call.onmessage = (req) => this.onRequest(req);
    // A client that closes its sending side still gets events (etcd's recvLoop ends quietly on EOF).
    call.onhalfclose = null;
    call.oncancel = () => this.ws.close();
  }

  private onRequest(req: etcdserverpb.WatchRequest): void {
    if (this.queue !== null) {
      const q = this.queue.then(() => this.handle(req));
      this.track(q);
      return;
    }
    this.handle(req);
  }

  private track(q: Promise<void>): void {
    this.queue = q;
    q.finally(() => {
      if (this.queue === q) this.queue = null;
    });
  }

  private handle(req: etcdserverpb.WatchRequest): Promise<void> | undefined {
    if (req.createRequest) return this.create(req.createRequest);
    else if (req.cancelRequest) {
      const id = toNumber(req.cancelRequest.watchId);
      if (this.ws.cancel(id)) {
        this.fragmenting.delete(id);
        this.send({ header: this.server.header(), watchId: id, canceled: true });
      }
    } else if (req.progressRequest) this.ws.requestProgress();
    return undefined;
  }

  private create(c: etcdserverpb.IWatchCreateRequest): Promise<void> | undefined {
    const key = c.key && c.key.length > 0 ? c.key : Buffer.from([0]);
    const check = this.server.authorize(this.call, key, c.rangeEnd ?? Buffer.alloc(0), 'read');
    if (check === undefined) {
      this.createNow(c, key);
      return undefined;
    }
    const p = check.then(
      () => {
        if (!this.call.closed) this.createNow(c, key);
      },
      (e: Error) => this.refuse(e.message),
    );
    if (this.queue === null) this.track(p);
    return p;
  }

  /** etcd's answer to a create it refuses: watch ID -1, created and canceled, with the reason. */
  private refuse(reason: string): void {
    this.send({
      header: this.server.header(),
      watchId: -1,
      created: true,
      canceled: true,
      cancelReason: reason,
    });
  }

  private createNow(c: etcdserverpb.IWatchCreateRequest, key: Uint8Array): void {
    const filters = c.filters ?? [];
    this.held = [];
    let id: number;
    try {
      id = this.ws.watch({
        watchId: toNumber(c.watchId),
        key,
        rangeEnd: c.rangeEnd ?? Buffer.alloc(0),
        startRevision: toNumber(c.startRevision),
        prevKv: !!c.prevKv,
        noPut: filters.includes(NOPUT),
        noDelete: filters.includes(NODELETE),
        progressNotify: !!c.progressNotify,
      });
    } catch (e) {
      this.held = null;
      this.refuse((e as Error).message);
      return;
    }
    if (c.fragment) this.fragmenting.add(id);
    this.send({ header: this.server.header(), watchId: id, created: true });
    const held = this.held;
    this.held = null;
    for (const f of held) f();
  }

  onEvents(watchId: number, events: mvccpb.IEvent[], header: etcdserverpb.IResponseHeader): void {
    if (this.held !== null) {
      this.held.push(() => this.onEvents(watchId, events, header));
      return;
    }
    if (events.length > 1 && this.fragmenting.has(watchId) && estimate(events) > this.maxBytes) {
      this.sendFragments(watchId, events, header);
      return;
    }
    this.send({ header, watchId, events });
  }

  onCompacted(watchId: number, compactRevision: number, header: etcdserverpb.IResponseHeader): void {
    if (this.held !== null) {
      this.held.push(() => this.onCompacted(watchId, compactRevision, header));
      return;
    }
    this.fragmenting.delete(watchId);
    this.send({ header, watchId, compactRevision, canceled: true });
  }

  onProgress(watchId: number, header: etcdserverpb.IResponseHeader): void {
    if (this.held !== null) {
      this.held.push(() => this.onProgress(watchId, header));
      return;
    }
    this.send({ header, watchId });
  }

  /** Splits a batch into responses of at most maxBytes of events (at least one event each). */
  private sendFragments(
    watchId: number,
    events: mvccpb.IEvent[],
    header: etcdserverpb.IResponseHeader,
  ): void {
    let part: mvccpb.IEvent[] = [];
    let size = 0;
    for (const ev of events) {
      const n = eventSize(ev);
      if (part.length > 0 && size + n > this.maxBytes) {
        this.send({ header, watchId, events: part, fragment: true });
        part = [];
        size = 0;
      }
      part.push(ev);
      size += n;
    }
    this.send({ header, watchId, events: part });
  }

  private send(res: etcdserverpb.IWatchResponse): void {
    if (!this.call.closed) this.call.write(res);
  }
}

function kvSize(kv: mvccpb.IKeyValue | null | undefined): number {
  if (!kv) return 0;
  return (kv.key?.length ?? 0) + (kv.value?.length ?? 0) + 40;
}

/** Encoded size of an event, close enough for splitting (fields + tags + varints). */
function eventSize(ev: mvccpb.IEvent): number {
  return kvSize(ev.kv) + kvSize(ev.prevKv) + 8;
}

function estimate(events: mvccpb.IEvent[]): number {
  let n = 0;
  for (const ev of events) n += eventSize(ev);
  return n;
}

// One bidirectional Watch stream shared by every watcher of a client.
// Creates are sent one at a time because the server answers them in order without echoing anything
// that identifies the request; the `created` reply carries the watch ID we then route events by.
// When the stream breaks (member killed, member lost its leader, connection dropped) the hub opens a new
// stream on another endpoint and re-creates every live watcher from its nextRevision.
import { backoffDelay } from './backoff';
import {
  ClientClosedError,
  CompactedError,
  InvalidAuthTokenError,
  isTransient,
  toEtcdError,
  UnavailableError,
  WatchCanceledError,
} from './errors';
import { headerFromWire, kvFromWire, wireNum } from './key-value';
import type { AuthedStream, Invoker } from './rpc';
import type { WatchEvent, Watcher } from './watcher';
import { wireMethod } from './wire';

interface Pending {
  resolve(): void;
  reject(e: Error): void;
}

export class WatchHub {
  private stream?: AuthedStream;
  private endpoint = -1;
  private connecting = false;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly byId = new Map<number, Watcher>();
  private queue: Watcher[] = [];
  private creating?: Watcher;
  private readonly firstCreate = new Map<Watcher, Pending>();
  private readonly cancels = new Map<Watcher, Array<() => void>>();
  private closed = false;
  private createTimer?: NodeJS.Timeout;

  /**
   * @param createTimeoutMs how long a create may wait for its `created` reply before the stream is given
   * up and opened on another member. A member that accepts connections but is frozen or cut off answers
   * nothing, and grpc-js neither fails a call queued on a connecting channel nor pings a channel that is
   * not ready; a healthy member answers a create at once, whatever its start revision.
   */
  constructor(
    private readonly invoker: Invoker,
    private readonly createTimeoutMs = 5000,
  ) {}

  /** Registers a watcher; resolves once a member has created it. */
  add(w: Watcher, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const p = new Promise<void>((resolve, reject) => this.firstCreate.set(w, { resolve, reject }));
    this.watchers.add(w);
    this.queue.push(w);
    if (signal) {
      const onAbort = () => void w.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      w.once('end', () => signal.removeEventListener('abort', onAbort));
    }
    this.ensureStream();
    this.pump();
    return p;
  }

  /** Cancels a watcher on the server and ends it. */
  cancel(w: Watcher): Promise<void> {
    if (w.isEnded) return Promise.resolve();
    const done = new Promise<void>((r) => {
      const list = this.cancels.get(w) ?? [];
      list.push(r);
      this.cancels.set(w, list);
    });
    w.cancelling = true;
    const queued = this.queue.indexOf(w);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.end(w);
    } else if (w.watchId !== undefined && this.stream) {
      this.stream.write({ cancelRequest: { watchId: w.watchId } });
    } else if (this.creating !== w) {
      this.end(w);
    }
    return done;
  }

  /** Asks the member for a progress notification on the stream (all watchers). */
  requestProgress(): void {
    this.stream?.write({ progressRequest: {} });
  }

  private end(w: Watcher, error?: Error): void {
    this.watchers.delete(w);
    if (w.watchId !== undefined && this.byId.get(w.watchId) === w) this.byId.delete(w.watchId);
    w.watchId = undefined;
    const first = this.firstCreate.get(w);
    this.firstCreate.delete(w);
    if (first) {
      if (error) first.reject(error);
      else first.reject(new WatchCanceledError(1, 'watcher cancelled before it was created'));
    }
    w.finish(error);
    for (const r of this.cancels.get(w) ?? []) r();
    this.cancels.delete(w);
    if (this.watchers.size === 0 && this.stream) {
      // No watcher left: close the stream rather than keep a member busy (and reconnecting) for nothing.
      const s = this.stream;
      this.stream = undefined;
      this.byId.clear();
      this.creating = undefined;
      this.clearCreateTimer();
      s.removeAllListeners();
      s.on('error', () => {});
      s.cancel();
    }
  }

  private ensureStream(): void {
    if (this.stream || this.connecting || this.reconnectTimer || this.closed) return;
    this.connecting = true;
    const i = this.invoker.pool.pick(this.endpoint >= 0 ? this.endpoint : undefined);
    this.invoker
      .bidi(wireMethod('Watch', 'Watch'), i, true)
      .then((s) => {
        this.connecting = false;
        if (this.closed || this.watchers.size === 0) {
          s.on('error', () => {});
          s.cancel();
          return;
        }
        this.stream = s;
        this.endpoint = i;
        s.on('data', (res) => this.onResponse(s, res));
        s.on('error', (e) => this.onBroken(s, e));
        s.on('end', () => this.onBroken(s, new Error('watch stream ended')));
        this.pump();
      })
      .catch((e) => {
        this.connecting = false;
        this.onBroken(undefined, e);
      });
  }

  private pump(): void {
    const s = this.stream;
    if (!s || this.creating) return;
    const w = this.queue.shift();
    if (!w) return;
    this.creating = w;
    s.write({ createRequest: { ...w.request, startRevision: w.nextRevision } });
    const endpoint = this.invoker.pool.endpoints[this.endpoint];
    this.createTimer = setTimeout(() => {
      const ms = this.createTimeoutMs;
      this.onBroken(s, new UnavailableError(14, `watch create got no reply from ${endpoint} in ${ms} ms`));
    }, this.createTimeoutMs);
  }

  private clearCreateTimer(): void {
    clearTimeout(this.createTimer);
    this.createTimer = undefined;
  }

  private onResponse(s: AuthedStream, res: any): void {
    if (s !== this.stream) return;
    const header = headerFromWire(res.header);
    const id = wireNum(res.watchId);
    if (res.created) {
      const w = this.creating;
      this.creating = undefined;
      this.clearCreateTimer();
      if (!w) return;
      if (res.canceled) {
        const err = this.cancelError(res);
        if (err instanceof InvalidAuthTokenError && this.invoker.tokens && !w.cancelling) {
          // The stream carries the token it was opened with; only a new stream can carry a fresh one.
          this.queue.unshift(w);
          this.onBroken(s, err);
          return;
        }
        this.end(w, err);
      } else {
        this.failures = 0;
        this.invoker.pool.reportSuccess(this.endpoint);
        w.watchId = id;
        this.byId.set(id, w);
        if (w.nextRevision === 0) w.nextRevision = header.revision + 1;
        const first = this.firstCreate.get(w);
        this.firstCreate.delete(w);
        w.endpoint = this.invoker.pool.endpoints[this.endpoint];
        first?.resolve();
        w.emit('connected', { endpoint: w.endpoint, revision: header.revision });
        if (w.cancelling) s.write({ cancelRequest: { watchId: id } });
      }
      this.pump();
      return;
    }
    if (id === -1) {
      // Answer to requestProgress, for the whole stream: tell everyone, but advance nobody, because the
      // member may send it before a lagging watcher caught up.
      for (const w of this.byId.values()) w.progress(header, false);
      return;
    }
    const w = this.byId.get(id);
    if (!w) return;
    if (res.canceled) {
      this.end(w, w.cancelling && !(wireNum(res.compactRevision) > 0) ? undefined : this.cancelError(res));
      return;
    }
    const events: WatchEvent[] = (res.events ?? []).map((e: any) => {
      const ev: WatchEvent = { type: e.type === 1 ? 'delete' : 'put', kv: kvFromWire(e.kv ?? {}) };
      if (e.prevKv) ev.prevKv = kvFromWire(e.prevKv);
      return ev;
    });
    if (events.length > 0) w.deliver(header, events);
    else w.progress(header, true);
  }

  private cancelError(res: any): Error {
    const compactRevision = wireNum(res.compactRevision);
    if (compactRevision > 0) return new CompactedError(compactRevision);
    return toEtcdError({ code: 1, details: String(res.cancelReason || 'watch canceled by the server') });
  }

  private onBroken(s: AuthedStream | undefined, e: unknown): void {
    if (s && s !== this.stream) return;
    const err = toEtcdError(e, this.invoker.pool.endpoints[this.endpoint]);
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.cancel();
    }
    this.stream = undefined;
    this.clearCreateTimer();
    const creating = this.creating;
    this.creating = undefined;
    if (creating && !creating.cancelling) this.queue.unshift(creating);
    else if (creating) this.end(creating);
    const live = [...this.byId.values()];
    this.byId.clear();
    if (this.closed) return;
    const authFailed = err instanceof InvalidAuthTokenError;
    if (!s && !authFailed && !isTransient(err)) {
      // Could not even open a stream, for a reason retrying will not cure (e.g. wrong password).
      for (const w of [...this.watchers]) this.end(w, err);
      return;
    }
    if (this.endpoint >= 0 && !authFailed) this.invoker.pool.reportFailure(this.endpoint);
    // Re-create what was live, in creation order, ahead of watchers that never got created.
    for (const w of live) {
      w.watchId = undefined;
      w.endpoint = undefined;
      if (w.cancelling) this.end(w);
      else w.emit('disconnected', err);
    }
    this.queue = [...live.filter((w) => !w.isEnded), ...this.queue.filter((w) => !live.includes(w))];
    if (this.watchers.size === 0) return;
    const delay = backoffDelay(this.failures++, { initialMs: 50, maxMs: 2000 });
    this.reconnectTimer = setTimeout(async () => {
      if (authFailed) await this.invoker.tokens?.refresh(s?.authToken).catch(() => {});
      this.reconnectTimer = undefined;
      this.ensureStream();
    }, delay);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.clearCreateTimer();
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.cancel();
    }
    // Watchers end cleanly (a `for await` loop just finishes); only a create still in flight fails.
    for (const w of [...this.watchers]) {
      this.firstCreate.get(w)?.reject(new ClientClosedError());
      this.firstCreate.delete(w);
      this.end(w);
    }
  }
}

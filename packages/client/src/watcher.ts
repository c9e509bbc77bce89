// One watcher as its consumer sees it: an EventEmitter and an async iterator of events.
// It remembers the next revision it needs (`nextRevision`), which is what lets the hub resume it on
// another member without a gap, and drops anything older, so a replay never yields a duplicate.
import { EventEmitter } from 'node:events';
import { KeyValue, type ResponseHeader } from './key-value';

/** One change of one key. */
export interface WatchEvent {
  type: 'put' | 'delete';
  /** The key after the change (for a delete: the key with modRevision of the delete and empty value). */
  kv: KeyValue;
  /** The key before the change, when the watcher was created with `prevKv`. */
  prevKv?: KeyValue;
}

/** A batch of events delivered together (all events of one or more revisions). */
export interface WatchBatch {
  header: ResponseHeader;
  events: WatchEvent[];
}

/** Events a Watcher emits. */
export interface WatcherEvents {
  /** Every event, in revision order. */
  event: [WatchEvent];
  put: [WatchEvent];
  delete: [WatchEvent];
  /** Each batch of events as received. */
  data: [WatchBatch];
  /** A progress notification: every event up to `header.revision` has been delivered. */
  progress: [ResponseHeader];
  /** The stream to a member broke; the watcher will resume on its own. */
  disconnected: [Error];
  /** The watcher is (again) registered on a member. */
  connected: [{ endpoint: string; revision: number }];
  /** Terminal failure (CompactedError, WatchCanceledError, ...). Not emitted without a listener. */
  error: [Error];
  /** The watcher stopped (after cancel or a terminal error). */
  end: [];
}

const consumerEvents = new Set(['event', 'put', 'delete', 'data']);
type Item = { batch: WatchBatch } | { error: Error } | { end: true };

/**
 * A watch on a key or range. Consume it as an async iterator (`for await (const ev of watcher)`) or with
 * listeners (`watcher.on('put', ...)`). Events that arrive before the first consumer attaches are kept
 * and delivered to it.
 */
export class Watcher extends EventEmitter<WatcherEvents> implements AsyncIterable<WatchEvent> {
  /** The revision the next event must have at least; the resume point after a reconnect. */
  nextRevision: number;
  /** Client URL of the member currently serving this watcher (undefined while reconnecting). */
  endpoint?: string;
  /** Why the watcher ended, if it ended with an error. */
  error?: Error;
  /** @internal server watch ID on the current stream. */
  watchId?: number;
  /** @internal */
  cancelling = false;
  private ended = false;
  private buffered: Item[] = [];
  private hasConsumer = false;
  private readonly iterators = new Set<{ queue: Item[]; wake?: () => void }>();

  /** @internal */
  constructor(
    /** @internal the create request without start revision */
    readonly request: Record<string, unknown>,
    startRevision: number,
    private readonly cancelFn: (w: Watcher) => Promise<void>,
    private readonly stripPrefix?: Buffer,
  ) {
    super();
    this.nextRevision = startRevision;
    (this as EventEmitter).on('newListener', (name: string | symbol) => {
      if (consumerEvents.has(name as string)) this.attach();
    });
  }

  /** True once the watcher has stopped. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Stops the watcher; resolves once the server confirmed (or the stream is gone). */
  cancel(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return this.cancelFn(this);
  }

  /** @internal delivers a batch, dropping events older than nextRevision. */
  deliver(header: ResponseHeader, events: WatchEvent[]): void {
    if (this.ended) return;
    let fresh = events.filter((e) => e.kv.modRevision >= this.nextRevision);
    if (this.stripPrefix?.length) fresh = fresh.map((e) => stripEvent(e, this.stripPrefix!));
    if (fresh.length === 0) return;
    this.nextRevision = fresh[fresh.length - 1].kv.modRevision + 1;
    this.push({ batch: { header, events: fresh } });
  }

  /** @internal */
  progress(header: ResponseHeader, advance: boolean): void {
    if (this.ended) return;
    if (advance && header.revision + 1 > this.nextRevision) this.nextRevision = header.revision + 1;
    this.emit('progress', header);
  }

  /** @internal ends the watcher, with an error or cleanly. */
  finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.push(error ? { error } : { end: true });
  }

  private push(item: Item): void {
    if (!this.hasConsumer) {
      this.buffered.push(item);
      if ('error' in item || 'end' in item) this.emitTerminal(item);
      return;
    }
    this.dispatch(item);
  }

  private attach(): void {
    if (this.hasConsumer) return;
    this.hasConsumer = true;
    queueMicrotask(() => {
      const items = this.buffered;
      this.buffered = [];
      for (const it of items) this.dispatch(it, true);
    });
  }

  private dispatch(item: Item, replay = false): void {
    for (const it of this.iterators) {
      it.queue.push(item);
      it.wake?.();
    }
    if ('batch' in item) {
      this.emit('data', item.batch);
      for (const ev of item.batch.events) {
        this.emit('event', ev);
        this.emit(ev.type, ev);
      }
    } else if (!replay) this.emitTerminal(item);
  }

  private emitTerminal(item: Item): void {
    if ('error' in item && this.listenerCount('error') > 0) this.emit('error', item.error);
    this.emit('end');
  }

  /**
   * Yields events one by one; throws the terminal error (e.g. CompactedError); ends after `cancel()`.
   * Breaking out of the loop stops this iteration only; call `cancel()` to stop the watcher.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    for await (const batch of this.batches()) yield* batch.events;
  }

  /** Yields batches of events as received. */
  async *batches(): AsyncGenerator<WatchBatch> {
    const it: { queue: Item[]; wake?: () => void } = { queue: [] };
    if (!this.hasConsumer) {
      this.hasConsumer = true;
      it.queue.push(...this.buffered);
      this.buffered = [];
    }
    if (this.ended && !it.queue.some((i) => !('batch' in i)))
      it.queue.push(this.error ? { error: this.error } : { end: true });
    this.iterators.add(it);
    try {
      for (;;) {
        const item = it.queue.shift();
        if (!item) {
          await new Promise<void>((r) => (it.wake = r));
          it.wake = undefined;
          continue;
        }
        if ('batch' in item) yield item.batch;
        else if ('error' in item) throw item.error;
        else return;
      }
    } finally {
      this.iterators.delete(it);
    }
  }
}

/** @internal a KeyValue with `prefix` removed from its key. */
export function stripKey(kv: KeyValue, prefix: Buffer): KeyValue {
  const key = kv.key.subarray(0, prefix.length).equals(prefix) ? kv.key.subarray(prefix.length) : kv.key;
  return new KeyValue(key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease);
}

function stripEvent(e: WatchEvent, prefix: Buffer): WatchEvent {
  const out: WatchEvent = { type: e.type, kv: stripKey(e.kv, prefix) };
  if (e.prevKv) out.prevKv = stripKey(e.prevKv, prefix);
  return out;
}

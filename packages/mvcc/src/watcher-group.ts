// A set of watchers indexed for event matching: single-key watchers by key, range watchers in a
// list (ranges are few in practice; each event checks them all).
import type { Event, KeyValue } from './key-value';

export interface WatchFilters {
  noPut?: boolean;
  noDelete?: boolean;
}

/** One watcher as the store tracks it. Keys are latin1 strings (byte order = string order). */
export class Watcher {
  /** The next revision this watcher has not seen yet. */
  minRev: number;
  /** Set while the watcher's stream is full and a batch waits for it. */
  victim = false;
  canceled = false;

  constructor(
    readonly id: number,
    readonly key: string,
    /** undefined: the single key; else the exclusive end (NO_END = no end). */
    readonly end: string | undefined,
    startRev: number,
    readonly prevKv: boolean,
    readonly filters: WatchFilters,
    readonly sink: { send(r: import('./watchable-store').WatchResponse): boolean },
  ) {
    this.minRev = startRev;
  }

  matches(key: string): boolean {
    return this.end === undefined ? key === this.key : this.key <= key && key < this.end;
  }

  /** Whether the event passes this watcher's filters. */
  wants(ev: Event): boolean {
    return ev.type === 'PUT' ? !this.filters.noPut : !this.filters.noDelete;
  }
}

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    if (w.end === undefined) {
      let set = this.byKey.get(w.key);
      if (set === undefined) this.byKey.set(w.key, (set = new Set()));
      if (set.has(w)) return;
      set.add(w);
    } else {
      if (this.ranges.has(w)) return;
      this.ranges.add(w);
    }
    this.count++;
  }

  delete(w: Watcher): boolean {
    if (w.end === undefined) {
      const set = this.byKey.get(w.key);
      if (set === undefined || !set.delete(w)) return false;
      if (set.size === 0) this.byKey.delete(w.key);
    } else if (!this.ranges.delete(w)) return false;
    this.count--;
    return true;
  }

  has(w: Watcher): boolean {
    return w.end === undefined ? (this.byKey.get(w.key)?.has(w) ?? false) : this.ranges.has(w);
  }

  /** Watchers interested in `key`. */
  *matching(key: string): Generator<Watcher> {
    const set = this.byKey.get(key);
    if (set !== undefined) yield* set;
    for (const w of this.ranges) if (w.matches(key)) yield w;
  }

  *all(): Generator<Watcher> {
    for (const set of this.byKey.values()) yield* set;
    yield* this.ranges;
  }

  /** Groups events (already in revision order) by interested watcher, honouring each one's minRev and filters. */
  batch(events: Event[], keyOf: (kv: KeyValue) => string): Map<Watcher, Event[]> {
    const out = new Map<Watcher, Event[]>();
    if (this.count === 0) return out;
    for (const ev of events) {
      for (const w of this.matching(keyOf(ev.kv))) {
        if (ev.kv.modRevision < w.minRev || !w.wants(ev)) continue;
        let list = out.get(w);
        if (list === undefined) out.set(w, (list = []));
        list.push(ev);
      }
    }
    return out;
  }
}

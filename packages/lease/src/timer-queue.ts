// An indexed binary min-heap of deadlines. Each entry remembers its slot so a lease can move its deadline
// (renew, revoke retry) or leave the queue in O(log n) without a search, which keeps 100k+ leases cheap.

export interface TimerEntry<T> {
  readonly value: T;
  /** Deadline in ms on the lessor's clock. */
  at: number;
  /** Position in the heap array; -1 once the entry has left the queue. */
  index: number;
}

export class TimerQueue<T> {
  private heap: TimerEntry<T>[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(value: T, at: number): TimerEntry<T> {
    const entry: TimerEntry<T> = { value, at, index: this.heap.length };
    this.heap.push(entry);
    this.up(entry.index);
    return entry;
  }

  peek(): TimerEntry<T> | undefined {
    return this.heap[0];
  }

  pop(): TimerEntry<T> | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Moves an entry that is still queued to a new deadline. */
  update(entry: TimerEntry<T>, at: number): void {
    const earlier = at < entry.at;
    entry.at = at;
    if (earlier) this.up(entry.index);
    else this.down(entry.index);
  }

  remove(entry: TimerEntry<T>): void {
    const i = entry.index;
    if (i < 0 || this.heap[i] !== entry) return;
    const last = this.heap.pop()!;
    entry.index = -1;
    if (last === entry) return;
    this.heap[i] = last;
    last.index = i;
    // The moved entry may belong above or below its new slot.
    this.up(i);
    this.down(last.index);
  }

  clear(): void {
    for (const e of this.heap) e.index = -1;
    this.heap = [];
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= e.at) break;
      h[i] = h[p];
      h[i].index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1].at < h[c].at) c++;
      if (h[c].at >= e.at) break;
      h[i] = h[c];
      h[i].index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}

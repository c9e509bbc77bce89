// Decoded key-values by revision, bounded by bytes, evicted oldest-inserted first. The eviction
// order lives in its own queue: deleting a Map's oldest entry and asking it for the next oldest
// would make V8 skip every deleted slot again, turning each eviction into a scan.
import type { KeyValue } from './key-value';

export type RevisionId = number | string;

/** Approximate heap bytes of one cached key-value (object, buffers, map and queue slots). */
function sizeOf(kv: KeyValue): number {
  return kv.key.length + kv.value.length + 160;
}

export class ValueCache {
  private readonly map = new Map<RevisionId, KeyValue>();
  private queue: RevisionId[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get(id: RevisionId): KeyValue | undefined {
    return this.map.get(id);
  }

  set(id: RevisionId, kv: KeyValue): void {
    if (this.limit <= 0 || this.map.has(id)) return;
    this.map.set(id, kv);
    this.queue.push(id);
    this.bytes += sizeOf(kv);
    while (this.bytes > this.limit && this.head < this.queue.length) {
      const old = this.queue[this.head++];
      const v = this.map.get(old);
      if (v !== undefined) {
        this.map.delete(old);
        this.bytes -= sizeOf(v);
      }
    }
    // drop the consumed front of the queue now and then (amortized O(1))
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  delete(id: RevisionId): void {
    const v = this.map.get(id);
    if (v === undefined) return;
    this.map.delete(id);
    this.bytes -= sizeOf(v);
  }

  get size(): number {
    return this.map.size;
  }
}

// The window of appends sent to a follower but not yet acknowledged, bounded in count and bytes.

export class Inflights {
  private readonly buffer: number[] = [];
  private readonly bytes: number[] = [];
  private start = 0;
  count = 0;
  totalBytes = 0;
  readonly size: number;
  readonly maxBytes: number;

  constructor(size: number, maxBytes = 0) {
    this.size = size;
    this.maxBytes = maxBytes;
  }

  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    for (let i = 0; i < this.count; i++) {
      const j = (this.start + i) % this.size;
      c.add(this.buffer[j], this.bytes[j]);
    }
    return c;
  }

  /** Records an append whose last entry is index (indexes must increase). */
  add(index: number, bytes = 0): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    const next = (this.start + this.count) % this.size;
    this.buffer[next] = index;
    this.bytes[next] = bytes;
    this.count++;
    this.totalBytes += bytes;
  }

  /** Frees every append whose last index is <= to. */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.buffer[this.start]) return;
    let i = 0;
    let idx = this.start;
    let freed = 0;
    for (; i < this.count; i++) {
      if (to < this.buffer[idx]) break;
      freed += this.bytes[idx];
      idx = (idx + 1) % this.size;
    }
    this.count -= i;
    this.totalBytes -= freed;
    this.start = idx;
    if (this.count === 0) this.start = 0;
  }

  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.buffer[this.start]);
  }

  full(): boolean {
    return this.count === this.size || (this.maxBytes !== 0 && this.totalBytes >= this.maxBytes);
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
    this.totalBytes = 0;
  }
}

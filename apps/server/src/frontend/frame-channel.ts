// A compact message channel between front-end worker processes and the core process over a unix socket:
// 4-byte big-endian length + body. Sends made during one turn of the event loop leave in one write, so the
// per-message cost is a copy, not a syscall.
import type * as net from 'node:net';

export class FrameChannel {
  private queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private pending: Buffer | null = null;
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Bytes still missing before the pending frame can be parsed. */
  private need = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly onFrame: (body: Buffer) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  /** Queues one frame body; it is written with everything else queued in this event-loop turn. */
  send(body: Buffer): void {
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.queue.push(head, body);
    this.queued += 4 + body.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flush, this);
    }
  }

  /** Queues a frame whose body the caller has already prefixed with its 4-byte length. */
  sendFramed(frame: Buffer): void {
    this.queue.push(frame);
    this.queued += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flush, this);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const out = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
    this.queue = [];
    this.queued = 0;
    if (!this.socket.destroyed) this.socket.write(out);
  }

  private read(chunk: Buffer): void {
    if (this.pending !== null) {
      // Wait for the rest of a large frame without re-concatenating on every chunk.
      this.parts.push(chunk);
      this.partsLen += chunk.length;
      if (this.partsLen < this.need) return;
      chunk = Buffer.concat([this.pending, ...this.parts]);
      this.pending = null;
      this.parts = [];
      this.partsLen = 0;
    }
    let off = 0;
    const n = chunk.length;
    while (n - off >= 4) {
      const len = chunk.readUInt32BE(off);
      if (n - off - 4 < len) break;
      this.onFrame(chunk.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    if (off < n) {
      this.pending = chunk.subarray(off);
      this.need = this.pending.length >= 4 ? this.pending.readUInt32BE(0) + 4 - this.pending.length : 1;
    }
  }
}

function flush(ch: FrameChannel): void {
  ch.flush();
}

// Pending ReadIndex requests on the leader, waiting for a quorum to confirm its leadership.
import type { Message, NodeId } from './types.js';

export enum ReadOnlyOption {
  /** Confirm leadership with a round of heartbeats before answering (always linearizable). */
  ReadOnlySafe = 0,
  /**
   * Answer from the leader lease when it is valid (needs checkQuorum; assumes clocks tick at about the
   * same rate), and fall back to a heartbeat round when it is not.
   */
  ReadOnlyLeaseBased = 1,
}

export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Map<NodeId, boolean>;
}

export function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export class ReadOnly {
  readonly option: ReadOnlyOption;
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Queues a request to read at `index` (the commit index when it arrived). */
  addRequest(index: number, m: Message): void {
    const key = bytesKey(m.entries[0].data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Map() });
    this.queue.push(key);
  }

  /** Records a heartbeat ack carrying ctx; returns the acks so far, or undefined for an unknown ctx. */
  recvAck(id: NodeId, ctx: Uint8Array): Map<NodeId, boolean> | undefined {
    const rs = this.pending.get(bytesKey(ctx));
    if (!rs) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /** The request with ctx is confirmed: it and every request queued before it are answered. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(ctx);
    const i = this.queue.indexOf(key);
    if (i < 0) return [];
    const done = this.queue.slice(0, i + 1);
    this.queue = this.queue.slice(i + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (!rs) throw new Error('cannot find corresponding read state from pending map');
      this.pending.delete(k);
      out.push(rs);
    }
    return out;
  }

  /** The context of the newest pending request, to piggyback on the next heartbeat. */
  lastPendingRequestCtx(): string | undefined {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1] : undefined;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}

// A seeded, in-memory network: messages may be dropped, duplicated, delayed and reordered, and links
// may be cut in either direction. With no faults configured it delivers in send order at once.
import type { Message, NodeId } from '../types.js';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Maximum extra delay in delivery rounds; a random delay reorders messages. */
  maxDelay: number;
}

export const NO_FAULTS: NetworkFaults = { drop: 0, duplicate: 0, maxDelay: 0 };

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

export class Network {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Blocked directed links, as "from>to". */
  private readonly cut = new Set<string>();
  faults: NetworkFaults = NO_FAULTS;
  sent = 0;
  dropped = 0;

  constructor(private readonly random: () => number) {}

  /** Blocks messages from `from` to `to` (one direction). */
  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Blocks all traffic between `a` and `b`. */
  cutBoth(a: NodeId, b: NodeId): void {
    this.cutLink(a, b);
    this.cutLink(b, a);
  }

  /** Cuts id off from everyone in ids. */
  isolate(id: NodeId, ids: Iterable<NodeId>): void {
    for (const o of ids) if (o !== id) this.cutBoth(id, o);
  }

  heal(): void {
    this.cut.clear();
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Queues m for delivery; returns how it fared ('cut' and 'lost' messages are never delivered). */
  send(m: Message, now: number): 'queued' | 'cut' | 'lost' {
    this.sent++;
    if (this.isCut(m.from, m.to)) {
      this.dropped++;
      return 'cut';
    }
    if (this.faults.drop > 0 && this.random() < this.faults.drop) {
      this.dropped++;
      return 'lost';
    }
    const copies = this.faults.duplicate > 0 && this.random() < this.faults.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.faults.maxDelay > 0 ? Math.floor(this.random() * (this.faults.maxDelay + 1)) : 0;
      this.queue.push({ at: now + delay, seq: this.seq++, m });
    }
    return 'queued';
  }

  /** Messages lost in flight because their link was cut after sending (the sender's transport knows). */
  lostInFlight: Message[] = [];

  /** Removes and returns the messages due at `now`, in delivery order. */
  due(now: number): Message[] {
    if (this.queue.length === 0) return [];
    const ready: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.queue) (f.at <= now ? ready : rest).push(f);
    this.queue = rest;
    ready.sort((a, b) => a.at - b.at || a.seq - b.seq);
    // A link cut after sending still loses what is in flight on it.
    const out: Message[] = [];
    for (const f of ready) {
      if (this.isCut(f.m.from, f.m.to)) this.lostInFlight.push(f.m);
      else out.push(f.m);
    }
    return out;
  }

  pending(): number {
    return this.queue.length;
  }

  /** Forgets what is in flight to or from a crashed node's old incarnation. */
  dropFor(id: NodeId): Message[] {
    const lost = this.queue.filter((f) => f.m.to === id).map((f) => f.m);
    this.queue = this.queue.filter((f) => f.m.to !== id);
    return lost;
  }
}

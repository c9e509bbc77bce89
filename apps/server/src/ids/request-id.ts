// Unique 64-bit IDs for proposals and leases, shaped like etcd's idutil generator:
// | 16 bits member ID | 40 bits milliseconds at start | 8 bits counter |, where the low 48 bits count up
// from the start time. Two members never collide (different prefixes) and a restart starts past every ID
// handed out before, as long as fewer than 256 IDs per millisecond were drawn.
const SUFFIX_BITS = 48n;
const COUNTER_BITS = 8n;
const TS_BITS = 40n;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;

export class RequestIdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  constructor(memberId: bigint, nowMs: number = Date.now()) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS;
    const ts = BigInt(Math.floor(nowMs)) & ((1n << TS_BITS) - 1n);
    this.suffix = ts << COUNTER_BITS;
  }

  next(): bigint {
    this.suffix = (this.suffix + 1n) & SUFFIX_MASK;
    return this.prefix | this.suffix;
  }
}

// Lease IDs are chosen on the member that receives the grant, before proposing, so applying the grant is
// deterministic. The layout follows etcd's idutil: | 16 bits member | 40 bits ms timestamp | 8 bits counter |
// and the counter is allowed to carry into the timestamp. Two members differ in the prefix; a restarted
// member starts from a later timestamp, so IDs do not repeat unless >256 grants/ms are sustained.

const SUFFIX_BITS = 48n;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;
const TIMESTAMP_MASK = (1n << 40n) - 1n;
const POSITIVE_INT64 = (1n << 63n) - 1n;

export class LeaseIdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  /** @param memberId this member's ID; its low 16 bits go into every ID. */
  constructor(memberId: bigint, nowMs: number = Date.now()) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS;
    this.suffix = (BigInt(Math.floor(nowMs)) & TIMESTAMP_MASK) << 8n;
  }

  /** A new positive int64 ID, never 0 (0 means "allocate one" on the wire). */
  next(): bigint {
    for (;;) {
      this.suffix = (this.suffix + 1n) & SUFFIX_MASK;
      // Only positive IDs are handed out, as etcd does.
      const id = (this.prefix | this.suffix) & POSITIVE_INT64;
      if (id !== 0n) return id;
    }
  }
}

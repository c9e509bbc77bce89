import { Etcd3 } from 'etcd3';
import { sleep } from '../harness/poll';
import { SINGLE_ATTEMPT } from './no-retry';

/**
 * Writes unique keys and remembers exactly which ones the server acknowledged, so a test can demand
 * that every acknowledged write survives faults. Unacknowledged (failed) writes may or may not exist.
 */
export class AckedWriter {
  readonly acked = new Map<string, string>();
  failures = 0;
  /** The last failure's message (prefixed with etcd3's error class). */
  lastError: string | undefined;
  /** Distinct failure messages and how often each was seen, for diagnostics. */
  readonly errors = new Map<string, number>();
  private client: Etcd3;
  private seq = 0;

  constructor(
    hosts: string[],
    readonly prefix: string,
    opts: {
      /**
       * Keep etcd3's own fault handling (3 attempts on its "recoverable" errors, a per-host circuit
       * breaker) as a user's client would; keys are unique, so a retried put changes no verdict.
       */
      clientRetries?: boolean;
      deadlineMs?: number;
    } = {},
  ) {
    // By default one attempt per call: a retry inside the client would hide which attempt was acknowledged.
    this.client = new Etcd3({
      hosts,
      dialTimeout: 3000,
      defaultCallOptions: () => ({ deadline: Date.now() + (opts.deadlineMs ?? 5000) }),
      ...(opts.clientRetries ? {} : { faultHandling: { global: SINGLE_ATTEMPT } }),
    });
  }

  nextKey(): [string, string] {
    const n = this.seq++;
    return [`${this.prefix}${String(n).padStart(6, '0')}`, `value-${n}-${'x'.repeat(n % 7)}`];
  }

  /** One put; true when acknowledged. */
  async putOnce(key: string, value: string): Promise<boolean> {
    try {
      await this.client.put(key).value(value);
      this.acked.set(key, value);
      return true;
    } catch (e) {
      this.failures++;
      // The class names etcd3's verdict on the gRPC status (which codes it retries).
      const msg = `${(e as Error).constructor?.name}: ${String((e as Error).message ?? e)}`.slice(0, 120);
      this.lastError = msg;
      if (this.errors.size < 20 || this.errors.has(msg))
        this.errors.set(msg, (this.errors.get(msg) ?? 0) + 1);
      return false;
    }
  }

  /** A put retried (new attempts of the same key/value) until acknowledged or the deadline passes. */
  async putUntilAcked(key: string, value: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.putOnce(key, value)) return true;
      await sleep(100);
    }
    return false;
  }

  /** n fresh keys with up to `concurrency` puts in flight; returns how many were acknowledged. */
  async writeMany(n: number, concurrency: number, retryMs = 0): Promise<number> {
    let ok = 0;
    let left = n;
    const worker = async () => {
      while (left > 0) {
        left--;
        const [k, v] = this.nextKey();
        const acked = retryMs > 0 ? await this.putUntilAcked(k, v, retryMs) : await this.putOnce(k, v);
        if (acked) ok++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return ok;
  }

  /** The failure messages, most frequent first. */
  errorSummary(): string {
    return [...this.errors]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([m, n]) => `${n}x ${m}`)
      .join('; ');
  }

  close(): void {
    this.client.close();
  }
}

/** Keys acknowledged but missing or different in what a member holds. */
export function missingAcked(acked: Map<string, string>, held: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [k, v] of acked) if (held.get(k) !== v) bad.push(`${k}=${held.get(k) ?? '<missing>'}`);
  return bad;
}

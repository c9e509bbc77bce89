// Session: a lease kept alive for as long as the session lives; the recipes hang their keys on it, so a
// crashed holder's keys vanish when its lease expires.
import type { Client, KV } from '../client';
import type { Lease } from '../lease';

/** The session's lease was lost (expired, revoked, or not renewed in time): nothing is held through it. */
export class SessionExpiredError extends Error {
  override name = 'SessionExpiredError';
  constructor() {
    super('session expired');
  }
}

/** Options of a Session. */
export interface SessionOptions {
  /** Lease TTL in seconds. Default 60. */
  ttl?: number;
  /** Use this already granted (and kept-alive) lease instead of granting one. */
  lease?: Lease;
  /** KV to run the recipes on (e.g. a Namespace). Default: the client. */
  kv?: KV;
}

/**
 * A lease kept alive in the background. When the lease is lost (expired, revoked, or not renewable in
 * time) `done` rejects and the session emits nothing further; locks and leadership held through it are gone.
 */
export class Session {
  /** The KV the recipes use. */
  readonly kv: KV;
  private closed = false;

  private constructor(
    readonly client: Client,
    /** The session's lease. */
    readonly lease: Lease,
    kv?: KV,
  ) {
    this.kv = kv ?? client;
  }

  /** Grants (or adopts) a lease and keeps it alive. */
  static async create(client: Client, options: SessionOptions = {}): Promise<Session> {
    const lease = options.lease ?? (await client.lease.grant(options.ttl ?? 60));
    return new Session(client, lease, options.kv);
  }

  /** The lease ID. */
  get leaseId(): bigint {
    return this.lease.id;
  }

  /** Rejects with a LeaseLostError once the session's lease is lost. */
  get done(): Promise<never> {
    return this.lease.lost;
  }

  /** True once the lease was lost. */
  get isExpired(): boolean {
    return this.lease.isLost;
  }

  /**
   * Resolves like `work`, unless the session's lease is lost first: then rejects with
   * SessionExpiredError. Leaves no listener behind either way.
   */
  async whileAlive<T>(work: Promise<T>): Promise<T> {
    if (this.lease.isLost) throw new SessionExpiredError();
    let off = () => {};
    const lost = new Promise<never>((_, reject) => {
      const onLost = () => reject(new SessionExpiredError());
      this.lease.once('lost', onLost);
      off = () => this.lease.off('lost', onLost);
    });
    try {
      return await Promise.race([work, lost]);
    } finally {
      off();
    }
  }

  /** Revokes the lease, releasing everything held through the session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lease.revoke();
  }

  /** Stops keeping the lease alive without revoking it (it expires after its TTL). */
  orphan(): void {
    this.closed = true;
    this.lease.release();
  }
}

// Leases: the unary Lease API, and Lease objects kept alive over one shared LeaseKeepAlive stream.
// Each kept-alive lease sends a renewal every TTL/3 and knows the latest moment it is guaranteed alive
// (send time of the last acknowledged renewal + the TTL the member returned). If that moment passes
// without a newer acknowledgement, or a member reports TTL <= 0, the lease emits `lost` once.
import { EventEmitter } from 'node:events';
import { backoffDelay } from './backoff';
import {
  ClientClosedError,
  isTransient,
  LeaseLostError,
  LeaseNotFoundError,
  toEtcdError,
  UnavailableError,
} from './errors';
import { headerFromWire, type ResponseHeader, wireBig, wireNum } from './key-value';
import { type LeaseRef, leaseId } from './kv';
import type { AuthedStream, CallOptions, Invoker } from './rpc';
import { wireMethod } from './wire';

/** What a member knows about a lease. */
export interface LeaseTimeToLive {
  header: ResponseHeader;
  id: bigint;
  /** Seconds left; -1 when the lease has expired or does not exist. */
  ttl: number;
  /** TTL the lease was granted with, in seconds. */
  grantedTtl: number;
  /** Attached keys (when asked with `keys: true`). */
  keys: Buffer[];
}

/** Options of `grant`. */
export interface GrantOptions extends CallOptions {
  /** Ask for this lease ID (default: the server picks). */
  id?: bigint;
  /** Keep the lease alive until `revoke()`/`release()` (default true). */
  keepAlive?: boolean;
}

/** Events of a Lease. */
export interface LeaseEvents {
  /** A renewal was acknowledged; `ttl` is the member's remaining TTL in seconds. */
  keepalive: [{ ttl: number }];
  /** The lease is gone or could not be renewed in time. Emitted at most once. */
  lost: [LeaseLostError];
}

/** A granted lease. Attach keys with `client.put(key, value, { lease })`. */
export class Lease extends EventEmitter<LeaseEvents> {
  /** Set once the lease is lost. */
  lostError?: LeaseLostError;
  /** @internal */
  aliveUntil: number;
  /** @internal */
  timer?: NodeJS.Timeout;
  /** @internal */
  lostTimer?: NodeJS.Timeout;
  private released = false;
  private lostPromise?: Promise<never>;

  /** @internal */
  constructor(
    /** The lease ID. */
    readonly id: bigint,
    /** TTL granted by the server, in seconds. */
    readonly ttl: number,
    grantedAt: number,
    private readonly api: LeaseClient,
  ) {
    super();
    this.aliveUntil = grantedAt + ttl * 1000;
  }

  /** True once `lost` was emitted. */
  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  /** A promise that rejects with the LeaseLostError when the lease is lost (never resolves otherwise). */
  get lost(): Promise<never> {
    // One shared promise (not a listener per call), pre-handled so an unobserved loss is not an
    // unhandled rejection; callers who await it still see the rejection.
    if (!this.lostPromise) {
      this.lostPromise = new Promise<never>((_, reject) => {
        if (this.lostError) reject(this.lostError);
        else this.once('lost', reject);
      });
      this.lostPromise.catch(() => {});
    }
    return this.lostPromise;
  }

  /** Stops keeping the lease alive and revokes it, deleting its keys. */
  async revoke(options?: CallOptions): Promise<void> {
    this.release();
    await this.api.revoke(this.id, options);
  }

  /** Stops keeping the lease alive without revoking it; it expires after its TTL. */
  release(): void {
    this.released = true;
    this.api.stopKeepAlive(this);
  }

  /** Remaining TTL and optionally the attached keys. */
  timeToLive(options?: { keys?: boolean } & CallOptions): Promise<LeaseTimeToLive> {
    return this.api.timeToLive(this.id, options);
  }

  /** @internal */
  markLost(err: LeaseLostError): void {
    if (this.lostError || this.released) return;
    this.lostError = err;
    this.api.stopKeepAlive(this);
    this.emit('lost', err);
  }
}

/** The Lease API: `client.lease`. */
export class LeaseClient {
  private stream?: AuthedStream;
  private connecting = false;
  private endpoint = -1;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly kept = new Map<bigint, Set<Lease>>();
  private readonly sentAt = new Map<bigint, number>();
  private closed = false;

  /** @internal */
  constructor(private readonly invoker: Invoker) {}

  /** Grants a lease of `ttl` seconds and (by default) keeps it alive. */
  async grant(ttl: number, options: GrantOptions = {}): Promise<Lease> {
    const start = Date.now();
    const res = await this.invoker.unary(
      wireMethod('Lease', 'LeaseGrant'),
      { TTL: ttl, ID: options.id ?? 0n },
      'write',
      options,
    );
    if (res.error) throw toEtcdError({ code: 2, details: String(res.error) });
    const lease = new Lease(wireBig(res.ID), wireNum(res.TTL), start, this);
    if (options.keepAlive !== false) this.startKeepAlive(lease);
    return lease;
  }

  /**
   * Starts keeping an existing lease alive (e.g. one granted by another process) and returns it as a
   * Lease. Rejects with LeaseNotFoundError if it no longer exists.
   */
  async keepAlive(lease: LeaseRef, options: CallOptions = {}): Promise<Lease> {
    const start = Date.now();
    const id = leaseId(lease);
    const ttl = await this.keepAliveOnce(id, options);
    if (ttl <= 0) throw new LeaseNotFoundError(5, 'etcdserver: requested lease not found');
    const l = new Lease(id, ttl, start, this);
    this.startKeepAlive(l);
    return l;
  }

  /** Revokes a lease; its keys are deleted. */
  async revoke(lease: LeaseRef, options: CallOptions = {}): Promise<{ header: ResponseHeader }> {
    const res = await this.invoker.unary(
      wireMethod('Lease', 'LeaseRevoke'),
      { ID: leaseId(lease) },
      'write',
      options,
    );
    return { header: headerFromWire(res.header) };
  }

  /** Remaining TTL of a lease (-1 when it does not exist) and optionally its keys. */
  async timeToLive(
    lease: LeaseRef,
    options: { keys?: boolean } & CallOptions = {},
  ): Promise<LeaseTimeToLive> {
    const res = await this.invoker.unary(
      wireMethod('Lease', 'LeaseTimeToLive'),
      { ID: leaseId(lease), keys: !!options.keys },
      'read',
      options,
    );
    return {
      header: headerFromWire(res.header),
      id: wireBig(res.ID),
      ttl: wireNum(res.TTL),
      grantedTtl: wireNum(res.grantedTTL),
      keys: (res.keys ?? []).map((k: Uint8Array) => Buffer.from(k)),
    };
  }

  /** IDs of every live lease. */
  async leases(options: CallOptions = {}): Promise<bigint[]> {
    const res = await this.invoker.unary(wireMethod('Lease', 'LeaseLeases'), {}, 'read', options);
    return (res.leases ?? []).map((l: any) => wireBig(l.ID));
  }

  /** Renews a lease once; resolves with the new TTL in seconds (<= 0: the lease is gone). */
  async keepAliveOnce(lease: LeaseRef, options: CallOptions = {}): Promise<number> {
    // Renewing is idempotent, so a transient failure is retried on the next member.
    let last: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const i =
        options.endpoint === undefined
          ? this.invoker.pool.pick(last)
          : this.invoker.pool.indexOf(options.endpoint);
      last = i;
      try {
        return await this.keepAliveOnceAt(i, lease, options);
      } catch (e) {
        const err = e as Error;
        if (options.signal?.aborted || options.endpoint !== undefined || attempt >= 2 || !isTransient(err))
          throw err;
        this.invoker.pool.reportFailure(i);
      }
    }
  }

  private async keepAliveOnceAt(i: number, lease: LeaseRef, options: CallOptions): Promise<number> {
    const s = await this.invoker.bidi(wireMethod('Lease', 'LeaseKeepAlive'), i, true);
    return new Promise<number>((resolve, reject) => {
      const timer = options.timeout ? setTimeout(() => s.cancel(), options.timeout) : undefined;
      const onAbort = () => s.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        s.removeAllListeners();
        s.on('error', () => {});
        s.cancel();
      };
      s.on('data', (res: any) => {
        done();
        resolve(wireNum(res.TTL));
      });
      s.on('error', (e) => {
        done();
        reject(options.signal?.aborted ? options.signal.reason : toEtcdError(e));
      });
      s.on('end', () => {
        done();
        reject(new UnavailableError(14, 'keepalive stream ended without a response'));
      });
      s.write({ ID: leaseId(lease) });
    });
  }

  /** @internal */
  startKeepAlive(lease: Lease): void {
    if (this.closed) throw new ClientClosedError();
    let set = this.kept.get(lease.id);
    if (!set) this.kept.set(lease.id, (set = new Set()));
    set.add(lease);
    const period = Math.max(100, (lease.ttl * 1000) / 3);
    lease.timer = setInterval(() => this.send(lease.id), period);
    this.armLost(lease);
    this.ensureStream();
  }

  /** @internal */
  stopKeepAlive(lease: Lease): void {
    clearInterval(lease.timer);
    clearTimeout(lease.lostTimer);
    const set = this.kept.get(lease.id);
    set?.delete(lease);
    if (set && set.size === 0) {
      this.kept.delete(lease.id);
      this.sentAt.delete(lease.id);
    }
    if (this.kept.size === 0) this.dropStream();
  }

  private armLost(lease: Lease): void {
    clearTimeout(lease.lostTimer);
    lease.lostTimer = setTimeout(
      () => lease.markLost(new LeaseLostError(lease.id, 'timeout')),
      Math.max(0, lease.aliveUntil - Date.now()),
    );
  }

  private send(id: bigint): void {
    if (!this.stream) return;
    // Keep the earliest unacknowledged send time: the TTL a reply grants counts from the request.
    if (!this.sentAt.has(id)) this.sentAt.set(id, Date.now());
    this.stream.write({ ID: id });
  }

  private onResponse(res: any): void {
    const id = wireBig(res.ID);
    const ttl = wireNum(res.TTL);
    const sent = this.sentAt.get(id) ?? Date.now();
    this.sentAt.delete(id);
    for (const lease of [...(this.kept.get(id) ?? [])]) {
      if (ttl <= 0) {
        lease.markLost(new LeaseLostError(id, 'expired'));
        continue;
      }
      lease.aliveUntil = Math.max(lease.aliveUntil, sent + ttl * 1000);
      this.armLost(lease);
      lease.emit('keepalive', { ttl });
    }
  }

  private ensureStream(): void {
    if (this.stream || this.connecting || this.reconnectTimer || this.closed || this.kept.size === 0) return;
    this.connecting = true;
    const i = this.invoker.pool.pick(this.endpoint >= 0 ? this.endpoint : undefined);
    this.invoker
      .bidi(wireMethod('Lease', 'LeaseKeepAlive'), i, true)
      .then((s) => {
        this.connecting = false;
        if (this.closed || this.kept.size === 0) {
          s.on('error', () => {});
          s.cancel();
          return;
        }
        this.stream = s;
        this.endpoint = i;
        s.on('data', (res) => {
          this.failures = 0;
          this.onResponse(res);
        });
        s.on('error', (e) => this.onBroken(s, e));
        s.on('end', () => this.onBroken(s, new Error('keepalive stream ended')));
        // Renew everything right away: the old stream may have swallowed the last renewals.
        this.sentAt.clear();
        for (const id of this.kept.keys()) this.send(id);
      })
      .catch((e) => {
        this.connecting = false;
        this.onBroken(undefined, e);
      });
  }

  private onBroken(s: AuthedStream | undefined, _e: unknown): void {
    if (s && s !== this.stream) return;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.cancel();
    }
    this.stream = undefined;
    if (this.closed || this.kept.size === 0) return;
    if (this.endpoint >= 0) this.invoker.pool.reportFailure(this.endpoint);
    const delay = backoffDelay(this.failures++, { initialMs: 50, maxMs: 1000 });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ensureStream();
    }, delay);
  }

  private dropStream(): void {
    const s = this.stream;
    this.stream = undefined;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.cancel();
    }
  }

  /** @internal stops every keepalive (leases are not revoked). */
  close(): void {
    this.closed = true;
    for (const set of [...this.kept.values()]) for (const l of [...set]) l.release();
    this.dropStream();
  }
}

// Unary calls with deadlines, cancellation, auth metadata and the retry policy, plus stream opening.
// Retry policy: a read is retried on any transient error (unavailable member, no leader, leader
// changed, request timed out), each time on the next endpoint. A write is retried only when the member
// certainly did not execute it (no leader; never reached a connection), unless the caller opts in.
import * as grpc from '@grpc/grpc-js';
import { backoffDelay, sleep } from './backoff';
import type { EndpointPool } from './endpoint-pool';
import {
  ClientClosedError,
  DeadlineExceededError,
  InvalidAuthTokenError,
  isNotExecuted,
  isTransient,
  toEtcdError,
  UnavailableError,
} from './errors';
import type { WireMethod } from './wire';

/** Options accepted by every call. */
export interface CallOptions {
  /** Deadline for the whole call including retries, in ms. Default: the client's `defaultTimeout`. */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason and cancels the RPC. */
  signal?: AbortSignal;
  /**
   * Retry this write on transient errors even if it may already have been applied (a put of the same
   * value is harmless; an increment is not). Reads are always retried.
   */
  retryWrite?: boolean;
  /** Send the call to this endpoint only (as written in the client's endpoint list); no failover. */
  endpoint?: string;
}

export type CallKind = 'read' | 'write';

/** A bidi stream and the auth token it was opened with (a rejected token must be refreshed, not reused). */
export type AuthedStream = grpc.ClientDuplexStream<object, any> & { authToken?: string };

export interface InvokerOptions {
  defaultTimeout?: number;
  attemptTimeout?: number;
  maxRetries: number;
  retryWrites: boolean;
}

/** Provides the auth token to attach, and a fresh one after the server rejected it. */
export interface TokenProvider {
  token(signal?: AbortSignal): Promise<string | undefined>;
  refresh(rejected: string | undefined, signal?: AbortSignal): Promise<string | undefined>;
}

export class Invoker {
  tokens?: TokenProvider;
  private closed = false;
  private readonly inflight = new Set<grpc.ClientUnaryCall>();

  constructor(
    readonly pool: EndpointPool,
    private readonly options: InvokerOptions,
  ) {}

  /** Calls `method` with retries per the policy above and resolves with the decoded response. */
  async unary<Res = any>(
    method: WireMethod,
    request: object,
    kind: CallKind,
    opts: CallOptions = {},
  ): Promise<Res> {
    const timeout = opts.timeout ?? this.options.defaultTimeout;
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    const pinned = opts.endpoint === undefined ? -1 : this.pool.indexOf(opts.endpoint);
    if (opts.endpoint !== undefined && pinned < 0) throw new TypeError(`unknown endpoint ${opts.endpoint}`);
    let last: number | undefined;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new ClientClosedError();
      opts.signal?.throwIfAborted();
      const i = pinned >= 0 ? pinned : this.pool.pick(last);
      last = i;
      let token: string | undefined;
      // A member that accepted the connection but stopped answering (frozen, partitioned) would hold the
      // call until the overall deadline; a per-attempt deadline lets us move on to the next member.
      const attemptDeadline =
        this.options.attemptTimeout && pinned < 0
          ? Math.min(deadline, Date.now() + this.options.attemptTimeout)
          : deadline;
      try {
        token = await this.tokens?.token(opts.signal);
        const res = await this.once<Res>(i, method, request, token, attemptDeadline, opts.signal);
        this.pool.reportSuccess(i);
        return res;
      } catch (thrown) {
        const err = toEtcdError(thrown, this.pool.endpoints[i]);
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (this.closed) throw new ClientClosedError();
        if (err instanceof InvalidAuthTokenError && this.tokens && !authRetried) {
          authRetried = true;
          await this.tokens.refresh(token, opts.signal);
          attempt--;
          continue;
        }
        const attemptTimedOut = err instanceof DeadlineExceededError && attemptDeadline < deadline;
        if (err instanceof UnavailableError || attemptTimedOut) this.pool.reportFailure(i);
        const retryable =
          pinned < 0 &&
          attempt < this.options.maxRetries &&
          (kind === 'read' || opts.retryWrite || this.options.retryWrites
            ? isTransient(err) || attemptTimedOut
            : isNotExecuted(err));
        if (!retryable) throw err;
        const wait = backoffDelay(attempt, { initialMs: 25, maxMs: 1000 });
        if (Date.now() + wait >= deadline) throw err;
        await sleep(wait, opts.signal);
      }
    }
  }

  private once<Res>(
    i: number,
    method: WireMethod,
    request: object,
    token: string | undefined,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (Date.now() >= deadline) {
        reject(new DeadlineExceededError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
        return;
      }
      const md = new grpc.Metadata();
      if (token) md.set('token', token);
      const callOpts: grpc.CallOptions = Number.isFinite(deadline) ? { deadline: new Date(deadline) } : {};
      const onAbort = () => call.cancel();
      const call = this.pool
        .client(i)
        .makeUnaryRequest(
          method.path,
          method.serialize,
          method.deserialize,
          request,
          md,
          callOpts,
          (err: grpc.ServiceError | null, res?: Res) => {
            this.inflight.delete(call);
            signal?.removeEventListener('abort', onAbort);
            if (err) reject(err);
            else resolve(res as Res);
          },
        );
      this.inflight.add(call);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Opens a bidirectional stream on endpoint `i`; `requireLeader` makes the member end it when it loses its leader. */
  async bidi(method: WireMethod, i: number, requireLeader: boolean): Promise<AuthedStream> {
    const md = await this.streamMetadata(requireLeader);
    const s: AuthedStream = this.pool
      .client(i)
      .makeBidiStreamRequest(method.path, method.serialize, method.deserialize, md, {});
    s.authToken = md.get('token')[0] as string | undefined;
    return s;
  }

  /** Opens a server stream on endpoint `i`. */
  async serverStream(
    method: WireMethod,
    i: number,
    request: object,
    signal?: AbortSignal,
  ): Promise<grpc.ClientReadableStream<any>> {
    const md = await this.streamMetadata(false, signal);
    const call = this.pool
      .client(i)
      .makeServerStreamRequest(method.path, method.serialize, method.deserialize, request, md, {});
    signal?.addEventListener('abort', () => call.cancel(), { once: true });
    return call;
  }

  private async streamMetadata(requireLeader: boolean, signal?: AbortSignal): Promise<grpc.Metadata> {
    if (this.closed) throw new ClientClosedError();
    const md = new grpc.Metadata();
    const token = await this.tokens?.token(signal);
    if (token) md.set('token', token);
    if (requireLeader) md.set('hasleader', 'true');
    return md;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const c of this.inflight) c.cancel();
    this.pool.close();
  }
}

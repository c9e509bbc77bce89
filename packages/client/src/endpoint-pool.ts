// One grpc-js channel per endpoint and the choice of which endpoint serves the next call.
// Unary calls rotate over the endpoints that are not cooling down after a failure; a failed endpoint
// cools down for a backoff period that doubles with each consecutive failure.
import * as grpc from '@grpc/grpc-js';
import { backoffDelay } from './backoff';

/** TLS material (PEM). Setting `tls` (or using `https://` endpoints) switches every channel to TLS. */
export interface TlsOptions {
  /** Trusted CA certificates; the system roots when omitted. */
  ca?: Buffer | string;
  /** Client certificate for mutual TLS. */
  cert?: Buffer | string;
  /** Client private key for mutual TLS. */
  key?: Buffer | string;
  /** Override the name checked against the server certificate. */
  serverName?: string;
  /** Accept any server certificate (like etcdctl's --insecure-skip-tls-verify). For tests only. */
  insecureSkipVerify?: boolean;
}

/** HTTP/2 keepalive pings that detect a dead connection while no call is in flight. */
export interface KeepAliveOptions {
  /** Ping interval in ms. Default 30000. */
  timeMs?: number;
  /** How long a ping may stay unanswered before the connection is dropped, in ms. Default 10000. */
  timeoutMs?: number;
  /** Ping even with no call open. Default true. */
  permitWithoutCalls?: boolean;
}

export interface PoolOptions {
  tls?: TlsOptions;
  keepAlive?: KeepAliveOptions;
  /** Extra grpc-js channel options, merged last. */
  channelOptions?: grpc.ChannelOptions;
}

const toBuf = (v: Buffer | string | undefined) =>
  v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);

/** Strips the scheme: etcd's endpoints are usually written as URLs, grpc-js wants host:port. */
export function endpointAddress(endpoint: string): { address: string; secure: boolean } {
  const m = /^(https?|unix|unixs):\/\/(.*)$/.exec(endpoint);
  if (!m) return { address: endpoint, secure: false };
  return { address: m[2].replace(/\/+$/, ''), secure: m[1] === 'https' || m[1] === 'unixs' };
}

export class EndpointPool {
  readonly endpoints: string[];
  private readonly addresses: string[];
  private readonly clients: Array<grpc.Client | undefined>;
  private readonly downUntil: number[];
  private readonly failures: number[];
  /** Endpoints dropped by setEndpoints keep their index (streams refer to endpoints by index) but are never picked. */
  private readonly retired: boolean[];
  private readonly secure: boolean;
  private readonly credentials: grpc.ChannelCredentials;
  private readonly channelOptions: grpc.ChannelOptions;
  private cursor = 0;
  private closed = false;

  constructor(endpoints: string[], options: PoolOptions = {}) {
    if (endpoints.length === 0) throw new TypeError('at least one endpoint is required');
    this.endpoints = [...endpoints];
    const parsed = endpoints.map(endpointAddress);
    this.addresses = parsed.map((p) => p.address);
    const secure = !!options.tls || parsed.some((p) => p.secure);
    this.secure = secure;
    this.credentials = secure
      ? grpc.credentials.createSsl(
          toBuf(options.tls?.ca),
          toBuf(options.tls?.key),
          toBuf(options.tls?.cert),
          options.tls?.insecureSkipVerify
            ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
            : {},
        )
      : grpc.credentials.createInsecure();
    const ka = options.keepAlive ?? {};
    this.channelOptions = {
      'grpc.keepalive_time_ms': ka.timeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': ka.timeoutMs ?? 10_000,
      'grpc.keepalive_permit_without_calls': (ka.permitWithoutCalls ?? true) ? 1 : 0,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      ...(options.tls?.serverName ? { 'grpc.ssl_target_name_override': options.tls.serverName } : {}),
      ...options.channelOptions,
    };
    this.clients = endpoints.map(() => undefined);
    this.downUntil = endpoints.map(() => 0);
    this.failures = endpoints.map(() => 0);
    this.retired = endpoints.map(() => false);
    this.cursor = Math.floor(Math.random() * endpoints.length);
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** The grpc-js client (channel) of endpoint `i`, created on first use. */
  client(i: number): grpc.Client {
    if (this.closed) throw new Error('endpoint pool is closed');
    let c = this.clients[i];
    if (!c) {
      c = new grpc.Client(this.addresses[i], this.credentials, this.channelOptions);
      this.clients[i] = c;
    }
    return c;
  }

  /** Index of an endpoint by its string as given, or -1. */
  indexOf(endpoint: string): number {
    const i = this.endpoints.indexOf(endpoint);
    return i >= 0 ? i : this.addresses.indexOf(endpointAddress(endpoint).address);
  }

  /**
   * Next endpoint to use: round-robin over endpoints not cooling down, skipping `avoid` when there is
   * another choice. When every endpoint is cooling down, the one that recovers first.
   */
  pick(avoid?: number): number {
    const now = Date.now();
    const n = this.endpoints.length;
    const live = n - this.retired.filter(Boolean).length;
    for (let step = 0; step < n; step++) {
      const i = (this.cursor + step) % n;
      if (!this.retired[i] && this.downUntil[i] <= now && (i !== avoid || live === 1)) {
        this.cursor = (i + 1) % n;
        return i;
      }
    }
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (this.retired[i] || (i === avoid && live > 1)) continue;
      if (best < 0 || this.downUntil[i] < this.downUntil[best]) best = i;
    }
    this.cursor = (best + 1) % n;
    return best;
  }

  /** The endpoints currently in rotation. */
  active(): string[] {
    return this.endpoints.filter((_, i) => !this.retired[i]);
  }

  /**
   * Replaces the rotation with `endpoints` (e.g. from the member list): new ones are added, missing ones
   * retired. An empty list changes nothing.
   */
  setEndpoints(endpoints: string[]): void {
    if (endpoints.length === 0) return;
    const wanted = new Set(endpoints.map((e) => endpointAddress(e).address));
    for (let i = 0; i < this.endpoints.length; i++) this.retired[i] = !wanted.has(this.addresses[i]);
    for (const e of endpoints) {
      const { address } = endpointAddress(e);
      if (this.addresses.includes(address)) continue;
      this.endpoints.push(/^\w+:\/\//.test(e) ? e : `${this.secure ? 'https' : 'http'}://${e}`);
      this.addresses.push(address);
      this.clients.push(undefined);
      this.downUntil.push(0);
      this.failures.push(0);
      this.retired.push(false);
    }
  }

  /** Marks endpoint `i` as failing; it is skipped until its backoff passes. */
  reportFailure(i: number): void {
    this.failures[i]++;
    this.downUntil[i] = Date.now() + backoffDelay(this.failures[i] - 1, { initialMs: 200, maxMs: 5000 });
  }

  reportSuccess(i: number): void {
    this.failures[i] = 0;
    this.downUntil[i] = 0;
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients) c?.close();
  }
}

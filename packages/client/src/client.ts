// The client: endpoints, options, and the KV calls; watch, lease, maintenance, cluster and auth hang off it.

import type * as grpc from '@grpc/grpc-js';
import { AuthClient } from './auth';
import { PasswordTokens } from './auth-token';
import { ClusterClient } from './cluster';
import { EndpointPool, type KeepAliveOptions, type TlsOptions } from './endpoint-pool';
import { type Bytes, keyRange, type RangeSelector } from './key-range';
import { headerFromWire, type ResponseHeader } from './key-value';
import {
  type DeleteOptions,
  type DeleteResponse,
  deleteRequest,
  deleteResponse,
  type GetOptions,
  type GetResponse,
  getResponse,
  type PutOptions,
  type PutResponse,
  putRequest,
  putResponse,
  rangeRequest,
} from './kv';
import { LeaseClient } from './lease';
import { MaintenanceClient } from './maintenance';
import { type CallKind, type CallOptions, Invoker } from './rpc';
import { isReadOnlyTxn, Txn, type TxnResponse, type TxnSpec, txnRequest, txnResponse } from './txn';
import { WatchHub } from './watch-hub';
import { Watcher } from './watcher';
import { type WireMethod, wireMethod } from './wire';

/** Options of `watch`. */
export interface WatchOptions extends RangeSelector {
  /** First revision to deliver events of (inclusive). Default: changes after now. */
  startRevision?: number;
  /** Include each key's previous value in events. */
  prevKv?: boolean;
  /** Ask the member for periodic progress notifications while idle. */
  progressNotify?: boolean;
  /** Leave out put events (`noPut`) or delete events (`noDelete`). */
  filters?: { noPut?: boolean; noDelete?: boolean };
  /** Aborting cancels the watcher (and rejects `watch()` if still pending). */
  signal?: AbortSignal;
  /** @internal Namespace: remove this prefix from the keys of delivered events. */
  stripPrefix?: Buffer;
}

/** How to reach and talk to the cluster. */
export interface ClientOptions {
  /** Member client URLs or host:port, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[] | string;
  /** Authenticate with this user; the token is sent with every call and renewed when rejected. */
  auth?: { username: string; password: string };
  /** TLS material; `https://` endpoints use TLS with the system roots even without it. */
  tls?: TlsOptions;
  /** HTTP/2 keepalive pings of every channel. */
  keepAlive?: KeepAliveOptions;
  /** Deadline in ms applied to calls that do not pass `timeout`. Default: none. */
  defaultTimeout?: number;
  /**
   * Deadline in ms of each attempt of a call. A read whose attempt times out is retried on the next
   * member (a write only with `retryWrite`), so a frozen or partitioned member costs one attempt.
   * Default: none (an attempt may use the whole call deadline).
   */
  attemptTimeout?: number;
  /**
   * How long a watch create may go unanswered before the watch stream moves to another member, in ms.
   * Default 5000.
   */
  watchCreateTimeout?: number;
  /** Refresh the endpoint list from the member list every this many ms (see `syncEndpoints`). Default: off. */
  autoSyncInterval?: number;
  /** Retries of a retryable call before its error is returned. Default 8. */
  maxRetries?: number;
  /** Retry every write on transient errors, even ones that may have been applied. Default false. */
  retryWrites?: boolean;
  /** Extra grpc-js channel options. */
  channelOptions?: import('@grpc/grpc-js').ChannelOptions;
}

/**
 * Low-level access for tools (etcdctl's verbatim output): any etcd RPC with your own (de)serialisation,
 * over this client's endpoints, auth token, deadlines and retry policy.
 */
export interface Transport {
  /** A unary call; `kind: 'read'` lets it be retried on transient errors (default 'write'). */
  unary<Res = any>(
    method: WireMethod,
    request: object,
    options?: CallOptions & { kind?: CallKind },
  ): Promise<Res>;
  /** Opens a bidirectional stream on `endpoint` (default: the next endpoint in rotation). */
  bidiStream(
    method: WireMethod,
    options?: { endpoint?: string; requireLeader?: boolean },
  ): Promise<grpc.ClientDuplexStream<object, any>>;
  /** Opens a server stream on `endpoint` (default: the next endpoint in rotation). */
  serverStream(
    method: WireMethod,
    request: object,
    options?: { endpoint?: string; signal?: AbortSignal },
  ): Promise<grpc.ClientReadableStream<any>>;
}

/** The subset of the client a key-value consumer needs; `Namespace` implements it too. */
export interface KV {
  get(key: Bytes, options?: GetOptions & CallOptions): Promise<GetResponse>;
  put(key: Bytes, value: Bytes, options?: PutOptions & CallOptions): Promise<PutResponse>;
  delete(key: Bytes, options?: DeleteOptions & CallOptions): Promise<DeleteResponse>;
  txn(): Txn;
  watch(key: Bytes, options?: WatchOptions): Promise<Watcher>;
}

const callOpts = (o: CallOptions = {}): CallOptions => ({
  timeout: o.timeout,
  signal: o.signal,
  retryWrite: o.retryWrite,
  endpoint: o.endpoint,
});

/**
 * A connection to an etcd cluster. Create one per process and share it; call `close()` when done.
 *
 * ```ts
 * const client = new Client({ endpoints: ['http://127.0.0.1:2379'] });
 * await client.put('greeting', 'hello');
 * console.log(await client.getString('greeting'));
 * ```
 */
export class Client implements KV {
  /** @internal (apps/etcdctl reads it; keep unary/bidi/serverStream/pool.pick stable, or move it to `transport`) */
  readonly invoker: Invoker;
  /** Every endpoint known (as given, then as discovered by `syncEndpoints`). */
  readonly endpoints: readonly string[];
  private hub?: WatchHub;
  private readonly watchCreateTimeout?: number;
  private syncTimer?: NodeJS.Timeout;
  /** Leases: grant (kept alive by default), revoke, timeToLive, list. */
  readonly lease: LeaseClient;
  /** Member list, add, remove, update, promote. */
  readonly cluster: ClusterClient;
  /** Status, snapshot, defragment, alarms, hashes, leader transfer. */
  readonly maintenance: MaintenanceClient;
  /** Users, roles, permissions, enable/disable. */
  readonly auth: AuthClient;

  constructor(options: ClientOptions) {
    const endpoints =
      typeof options.endpoints === 'string' ? options.endpoints.split(',') : options.endpoints;
    const pool = new EndpointPool(endpoints, {
      tls: options.tls,
      keepAlive: options.keepAlive,
      channelOptions: options.channelOptions,
    });
    this.endpoints = pool.endpoints;
    this.watchCreateTimeout = options.watchCreateTimeout;
    const invOpts = {
      defaultTimeout: options.defaultTimeout,
      attemptTimeout: options.attemptTimeout,
      maxRetries: options.maxRetries ?? 8,
      retryWrites: !!options.retryWrites,
    };
    this.invoker = new Invoker(pool, invOpts);
    this.lease = new LeaseClient(this.invoker);
    if (options.autoSyncInterval) {
      this.syncTimer = setInterval(() => void this.syncEndpoints().catch(() => {}), options.autoSyncInterval);
      this.syncTimer.unref();
    }
    this.cluster = new ClusterClient(this.invoker);
    this.maintenance = new MaintenanceClient(this.invoker);
    this.auth = new AuthClient(this.invoker);
    if (options.auth) {
      this.invoker.tokens = new PasswordTokens(
        new Invoker(pool, invOpts),
        options.auth.username,
        options.auth.password,
      );
    }
  }

  /** Reads one key, or a range with `prefix`, `rangeEnd` or `fromKey`. */
  async get(key: Bytes, options: GetOptions & CallOptions = {}): Promise<GetResponse> {
    const res = await this.invoker.unary(
      wireMethod('KV', 'Range'),
      rangeRequest(key, options),
      'read',
      callOpts(options),
    );
    return getResponse(res);
  }

  /** The value of one key as a string, or undefined when the key does not exist. */
  async getString(
    key: Bytes,
    options: Omit<GetOptions, 'prefix' | 'rangeEnd' | 'fromKey'> & CallOptions = {},
  ): Promise<string | undefined> {
    const res = await this.get(key, options);
    return res.kvs[0]?.valueString;
  }

  /** The value of one key as bytes, or undefined when the key does not exist. */
  async getBuffer(
    key: Bytes,
    options: Omit<GetOptions, 'prefix' | 'rangeEnd' | 'fromKey'> & CallOptions = {},
  ): Promise<Buffer | undefined> {
    const res = await this.get(key, options);
    return res.kvs[0]?.value;
  }

  /** Writes one key. */
  async put(key: Bytes, value: Bytes, options: PutOptions & CallOptions = {}): Promise<PutResponse> {
    const res = await this.invoker.unary(
      wireMethod('KV', 'Put'),
      putRequest(key, value, options),
      'write',
      callOpts(options),
    );
    return putResponse(res);
  }

  /** Deletes one key, or a range with `prefix`, `rangeEnd` or `fromKey`. */
  async delete(key: Bytes, options: DeleteOptions & CallOptions = {}): Promise<DeleteResponse> {
    const res = await this.invoker.unary(
      wireMethod('KV', 'DeleteRange'),
      deleteRequest(key, options),
      'write',
      callOpts(options),
    );
    return deleteResponse(res);
  }

  /** Starts a transaction: `client.txn().if(...).then(...).else(...).commit()`. */
  txn(): Txn {
    return new Txn((spec, options) => this.commitTxn(spec, options));
  }

  /** @internal */
  async commitTxn(spec: TxnSpec, options: CallOptions = {}): Promise<TxnResponse> {
    const kind = isReadOnlyTxn(spec) ? 'read' : 'write';
    const res = await this.invoker.unary(wireMethod('KV', 'Txn'), txnRequest(spec), kind, callOpts(options));
    return txnResponse(res);
  }

  /**
   * Discards history before `revision`. With `physical`, resolves only once the space is reclaimed on
   * every member.
   */
  async compact(
    revision: number,
    options: { physical?: boolean } & CallOptions = {},
  ): Promise<{ header: ResponseHeader }> {
    const res = await this.invoker.unary(
      wireMethod('KV', 'Compact'),
      { revision, physical: !!options.physical },
      'write',
      callOpts(options),
    );
    return { header: headerFromWire(res.header) };
  }

  /**
   * Watches a key or range. Resolves once a member has registered the watcher; from then on every change
   * is delivered exactly once and in order, across reconnects to other members. Ends with a
   * CompactedError if the history it needs was compacted.
   */
  async watch(key: Bytes, options: WatchOptions = {}): Promise<Watcher> {
    const r = keyRange(key, options);
    const filters: number[] = [];
    if (options.filters?.noPut) filters.push(0);
    if (options.filters?.noDelete) filters.push(1);
    const request = {
      key: r.key,
      rangeEnd: r.rangeEnd,
      progressNotify: !!options.progressNotify,
      filters,
      prevKv: !!options.prevKv,
    };
    this.hub ??= new WatchHub(this.invoker, this.watchCreateTimeout);
    const hub = this.hub;
    const w = new Watcher(request, options.startRevision ?? 0, (x) => hub.cancel(x), options.stripPrefix);
    options.signal?.throwIfAborted();
    await hub.add(w, options.signal);
    return w;
  }

  /** Asks the member serving this client's watchers to send a progress notification to each of them. */
  requestWatchProgress(): void {
    this.hub?.requestProgress();
  }

  /**
   * Low-level escape hatch: calls any unary RPC of etcd's API (e.g. `('Maintenance', 'Status', {})`) with
   * this client's endpoints, auth, deadlines and retry policy, and returns the decoded protobufjs message
   * (64-bit fields as Long). `kind: 'read'` allows retries on transient errors. Useful for tools that
   * print responses verbatim, such as etcdctl's JSON output.
   */
  call<Res = any>(
    service: 'KV' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth',
    method: string,
    request: object,
    options: CallOptions & { kind?: 'read' | 'write' } = {},
  ): Promise<Res> {
    return this.invoker.unary<Res>(
      wireMethod(service, method),
      request,
      options.kind ?? 'write',
      callOpts(options),
    );
  }

  /** Low-level RPC access with caller-supplied (de)serialisation; see `Transport`. */
  get transport(): Transport {
    const inv = this.invoker;
    const at = (endpoint?: string) => {
      if (endpoint === undefined) return inv.pool.pick();
      const i = inv.pool.indexOf(endpoint);
      if (i < 0) throw new TypeError(`unknown endpoint ${endpoint}`);
      return i;
    };
    return {
      unary: (method, request, options = {}) =>
        inv.unary(method, request, options.kind ?? 'write', callOpts(options)),
      bidiStream: async (method, options = {}) =>
        inv.bidi(method, at(options.endpoint), !!options.requireLeader),
      serverStream: async (method, request, options = {}) =>
        inv.serverStream(method, at(options.endpoint), request, options.signal),
    };
  }

  /**
   * Replaces the endpoints in rotation with the client URLs of the cluster's voting members, so members
   * added later are used and removed ones dropped. Resolves with the endpoints now in rotation.
   */
  async syncEndpoints(options: CallOptions = {}): Promise<string[]> {
    const { members } = await this.cluster.memberList(options);
    this.invoker.pool.setEndpoints(members.filter((m) => !m.isLearner).flatMap((m) => m.clientUrls));
    return this.invoker.pool.active();
  }

  /** Closes every channel and stream; pending calls fail with ClientClosedError, watchers end. */
  close(): void {
    clearInterval(this.syncTimer);
    this.hub?.close();
    this.lease.close();
    this.invoker.close();
  }
}

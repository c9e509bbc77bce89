// The cluster connection of one command, on @kv/client: a Client (endpoints, TLS, auth token, retries)
// whose generic request path carries etcd's RPCs as etcdctl needs them: the raw response with its
// header, which the printers show field by field.
import type * as grpc from '@grpc/grpc-js';
import type { Client } from '@kv/client';
import type { ConnOptions, Service } from './conn-options';

// biome-ignore lint/suspicious/noExplicitAny: wire messages are untyped at this edge
type Any = any;

interface WireMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  serialize(message: object): Buffer;
  deserialize(bytes: Buffer): Any;
}

// The client's invoker, which @kv/client marks internal; etcdctl uses it for responses in wire form.
interface Invoker {
  unary(method: WireMethod, request: object, kind: 'read' | 'write', opts?: { timeout?: number; endpoint?: string }): Promise<Any>;
  bidi(method: WireMethod, i: number, requireLeader: boolean): Promise<grpc.ClientDuplexStream<object, Any>>;
  serverStream(method: WireMethod, i: number, request: object): Promise<grpc.ClientReadableStream<Any>>;
  pool: { pick(avoid?: number): number; indexOf(endpoint: string): number };
}

const methods = new Map<string, WireMethod>();

/** etcd's method `service/name` from @kv/api-proto's table, with plain-object (de)serialisation. */
function wireMethod(service: Service | 'Lock' | 'Election', name: string): WireMethod {
  const id = `${service}/${name}`;
  let m = methods.get(id);
  if (m) return m;
  const { services } = require('@kv/api-proto') as typeof import('@kv/api-proto');
  const def = (services as Any)[service]?.[name];
  if (!def) throw new Error(`unknown etcd method ${id}`);
  const conv = { longs: String, enums: Number, defaults: true, arrays: true };
  m = {
    path: def.path,
    requestStream: def.requestStream,
    responseStream: def.responseStream,
    serialize: (message) => def.serializeRequest(def.requestType.fromObject(message)),
    deserialize: (bytes) => def.responseType.toObject(def.deserializeResponse(bytes), conv),
  };
  methods.set(id, m);
  return m;
}

const READS = new Set([
  'Range',
  'LeaseTimeToLive',
  'LeaseLeases',
  'MemberList',
  'Status',
  'HashKV',
  'Hash',
  'Alarm',
  'UserGet',
  'UserList',
  'RoleGet',
  'RoleList',
]);

/** The text etcdctl prints for a failed call: etcd's own error description, or Go's context errors. */
export function rpcErrorText(e: unknown): string {
  const err = e as { code?: number; details?: string; message?: string; name?: string };
  if (typeof err?.code === 'number') {
    if (err.code === 4 || err.code === 14) return 'context deadline exceeded';
    if (err.code === 1) return 'context canceled';
    if (err.details) return err.details;
  }
  return err?.message ?? String(e);
}

export class Conn {
  readonly client: Client;
  private readonly invoker: Invoker;
  private readonly endpoint: string | undefined;

  constructor(
    readonly opts: ConnOptions,
    endpoint?: string,
  ) {
    const { Client } = require('@kv/client') as typeof import('@kv/client');
    const fs = require('node:fs') as typeof import('node:fs');
    const t = opts.tls;
    const read = (p?: string) => (p ? fs.readFileSync(p) : undefined);
    const endpoints = endpoint ? [endpoint] : opts.endpoints;
    this.client = new Client({
      endpoints: t ? endpoints.map((e) => (/^\w+:\/\//.test(e) ? e : `https://${e}`)) : endpoints,
      auth: opts.user !== undefined ? { username: opts.user, password: opts.password ?? '' } : undefined,
      tls: t ? { ca: read(t.ca), cert: read(t.cert), key: read(t.key), serverName: t.serverName } : undefined,
      keepAlive: { timeMs: opts.keepAliveTimeMs, timeoutMs: opts.keepAliveTimeoutMs },
      defaultTimeout: opts.commandTimeoutMs,
    });
    this.invoker = (this.client as unknown as { invoker: Invoker }).invoker;
    this.endpoint = endpoint;
  }

  /** A unary call bounded by --command-timeout (or timeoutMs). */
  unary(service: Service | 'Lock' | 'Election', method: string, req: Any, timeoutMs?: number): Promise<Any> {
    return this.invoker.unary(wireMethod(service, method), req, READS.has(method) ? 'read' : 'write', {
      timeout: timeoutMs ?? this.opts.commandTimeoutMs,
    });
  }

  bidi(service: Service, method: string): Promise<grpc.ClientDuplexStream<object, Any>> {
    return this.invoker.bidi(wireMethod(service, method), this.invoker.pool.pick(), false);
  }

  serverStream(service: Service | 'Election', method: string, req: Any): Promise<grpc.ClientReadableStream<Any>> {
    return this.invoker.serverStream(wireMethod(service, method), this.invoker.pool.pick(), req);
  }

  close(): void {
    this.client.close();
  }
}

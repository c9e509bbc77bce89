// One gRPC connection to the cluster for the life of a command: unary calls with etcdctl's command
// timeout, streams for watch/keep-alive/snapshot, and the auth token when --user is given.
import type * as grpc from '@grpc/grpc-js';
import type { Codec, ConnOptions, Service } from './conn-options';

// biome-ignore lint/suspicious/noExplicitAny: wire messages are untyped at this edge
type Any = any;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The text etcdctl prints for a failed call: etcd's own error description, or Go's context errors. */
export function rpcErrorText(e: unknown): string {
  if (e instanceof RpcError) return e.message;
  const err = e as { code?: number; details?: string; message?: string };
  if (typeof err?.code === 'number') {
    const G = require('@grpc/grpc-js') as typeof grpc;
    if (err.code === G.status.DEADLINE_EXCEEDED) return 'context deadline exceeded';
    if (err.code === G.status.CANCELLED) return 'context canceled';
    if (err.details?.startsWith('etcdserver:') || err.details?.startsWith('mvcc:')) return err.details;
    return `rpc error: code = ${codeName(err.code)} desc = ${err.details ?? ''}`;
  }
  return err?.message ?? String(e);
}

const codeNames = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];
function codeName(c: number): string {
  return codeNames[c] ?? `Code(${c})`;
}

/** "http://127.0.0.1:2379" or "127.0.0.1:2379" -> "127.0.0.1:2379" */
export function hostPort(endpoint: string): string {
  return endpoint.replace(/^(https?|unix|unixs):\/\//, '').replace(/\/+$/, '');
}

export class Conn {
  private readonly client: grpc.Client;
  private readonly G: typeof grpc;
  private token: string | undefined;
  private authed: Promise<void> | undefined;

  constructor(
    readonly opts: ConnOptions,
    private readonly codec: Codec,
    endpoint = opts.endpoints[0],
  ) {
    this.G = require('@grpc/grpc-js') as typeof grpc;
    const creds = this.credentials();
    const channelOpts: grpc.ChannelOptions = {
      'grpc.keepalive_time_ms': opts.keepAliveTimeMs,
      'grpc.keepalive_timeout_ms': opts.keepAliveTimeoutMs,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    };
    if (opts.tls?.serverName) channelOpts['grpc.ssl_target_name_override'] = opts.tls.serverName;
    this.client = new this.G.Client(hostPort(endpoint), creds, channelOpts);
  }

  private credentials(): grpc.ChannelCredentials {
    const t = this.opts.tls;
    if (!t) return this.G.credentials.createInsecure();
    const fs = require('node:fs') as typeof import('node:fs');
    const read = (p?: string) => (p ? fs.readFileSync(p) : null);
    const verify = t.skipVerify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : {};
    return this.G.credentials.createSsl(read(t.ca), read(t.key), read(t.cert), verify);
  }

  private deadline(timeoutMs?: number): Date {
    return new Date(Date.now() + (timeoutMs ?? this.opts.commandTimeoutMs));
  }

  private async metadata(): Promise<grpc.Metadata> {
    const md = new this.G.Metadata();
    if (this.opts.user !== undefined) {
      this.authed ??= this.authenticate();
      await this.authed;
      if (this.token) md.set('token', this.token);
    }
    return md;
  }

  private async authenticate(): Promise<void> {
    const resp = await this.rawUnary(
      'Auth',
      'Authenticate',
      { name: this.opts.user, password: this.opts.password ?? '' },
      new this.G.Metadata(),
    );
    this.token = resp.token;
  }

  private rawUnary(service: Service, method: string, req: Any, md: grpc.Metadata, timeoutMs?: number): Promise<Any> {
    const m = this.codec.method(service, method);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        m.path,
        m.serialize,
        m.deserialize,
        req,
        md,
        { deadline: this.deadline(timeoutMs), waitForReady: true } as grpc.CallOptions,
        (err, resp) => (err ? reject(err) : resolve(resp)),
      );
    });
  }

  /** A unary call bounded by --command-timeout (or timeoutMs). */
  async unary(service: Service, method: string, req: Any, timeoutMs?: number): Promise<Any> {
    return this.rawUnary(service, method, req, await this.metadata(), timeoutMs);
  }

  async bidi(service: Service, method: string): Promise<grpc.ClientDuplexStream<Any, Any>> {
    const m = this.codec.method(service, method);
    return this.client.makeBidiStreamRequest(m.path, m.serialize, m.deserialize, await this.metadata(), {
      waitForReady: true,
    } as grpc.CallOptions);
  }

  async serverStream(service: Service, method: string, req: Any): Promise<grpc.ClientReadableStream<Any>> {
    const m = this.codec.method(service, method);
    return this.client.makeServerStreamRequest(m.path, m.serialize, m.deserialize, req, await this.metadata(), {
      waitForReady: true,
    } as grpc.CallOptions);
  }

  close(): void {
    this.client.close();
  }
}

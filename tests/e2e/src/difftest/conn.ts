import * as grpc from '@grpc/grpc-js';
import { clientConstructor, type ServiceName, services } from '@kv/api-proto';

/** What one server answered: a decoded response message, or a gRPC error as code + message. */
export type Outcome =
  | { ok: true; res: Record<string, unknown> }
  | { ok: false; code: number; message: string };

const DEADLINE_MS = 10_000;

/** A gRPC error whose code is UNAVAILABLE/DEADLINE_EXCEEDED is the tester's failure, not a divergence. */
export class TransportError extends Error {}

/** gRPC clients of one server (ours or etcd's), one per service, all on one channel. */
export class Conn {
  private readonly clients = new Map<ServiceName, grpc.Client>();
  private readonly channelOptions = { 'grpc.max_receive_message_length': 64 << 20 };

  constructor(
    readonly name: 'etcd' | 'ours',
    readonly address: string,
  ) {}

  client(service: ServiceName): grpc.Client {
    let c = this.clients.get(service);
    if (!c) {
      const Ctor = clientConstructor(service);
      const first = this.clients.values().next().value as grpc.Client | undefined;
      c = new Ctor(this.address, grpc.credentials.createInsecure(), {
        ...this.channelOptions,
        // Share the first client's channel so every service rides one HTTP/2 connection.
        ...(first ? { channelOverride: first.getChannel() } : {}),
      });
      this.clients.set(service, c);
    }
    return c;
  }

  /** One unary call; resolves with the outcome, rejects only when the server could not be reached. */
  unary(service: ServiceName, method: string, req: object, token?: string): Promise<Outcome> {
    const m = (services[service] as Record<string, { path: string }>)[method];
    if (!m) throw new Error(`unknown method ${service}.${method}`);
    const md = new grpc.Metadata();
    if (token) md.set('token', token);
    const client = this.client(service) as unknown as Record<
      string,
      (
        r: object,
        md: grpc.Metadata,
        o: grpc.CallOptions,
        cb: (e: grpc.ServiceError | null, r: unknown) => void,
      ) => void
    >;
    return new Promise((resolve, reject) => {
      client[method]!(req, md, { deadline: Date.now() + DEADLINE_MS }, (err, res) => {
        if (!err) return resolve({ ok: true, res: res as Record<string, unknown> });
        if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
          return reject(new TransportError(`${this.name} ${service}.${method}: ${err.code} ${err.details}`));
        }
        resolve({ ok: false, code: err.code, message: err.details });
      });
    });
  }

  /** A bidi Watch stream that records every message it receives, in order. */
  openWatch(token?: string): WatchStream {
    const md = new grpc.Metadata();
    if (token) md.set('token', token);
    const client = this.client('Watch') as unknown as {
      Watch(md: grpc.Metadata): grpc.ClientDuplexStream<object, Record<string, unknown>>;
    };
    return new WatchStream(client.Watch(md));
  }

  /** A bidi LeaseKeepAlive stream used for single keep-alives. */
  openKeepAlive(token?: string): grpc.ClientDuplexStream<object, Record<string, unknown>> {
    const md = new grpc.Metadata();
    if (token) md.set('token', token);
    const client = this.client('Lease') as unknown as {
      LeaseKeepAlive(md: grpc.Metadata): grpc.ClientDuplexStream<object, Record<string, unknown>>;
    };
    return client.LeaseKeepAlive(md);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

export class WatchStream {
  readonly messages: Record<string, unknown>[] = [];
  ended: { code: number; message: string } | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly call: grpc.ClientDuplexStream<object, Record<string, unknown>>) {
    call.on('data', (m: Record<string, unknown>) => {
      this.messages.push(m);
      this.wake();
    });
    call.on('error', (e: grpc.ServiceError) => {
      this.ended = { code: e.code, message: e.details };
      this.wake();
    });
    call.on('end', () => {
      this.ended ??= { code: 0, message: 'end' };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(req: object): void {
    this.call.write(req);
  }

  /** Waits until more than `count` messages arrived (or the stream ended, or timeoutMs passed). */
  async waitBeyond(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= count && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return this.messages.length > count;
  }

  close(): void {
    this.call.cancel();
  }
}

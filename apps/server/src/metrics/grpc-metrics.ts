import * as prom from 'prom-client';

// etcd's gRPC metrics (go-grpc-prometheus' server families, etcd's client byte and request counters).
// The hot path only bumps plain numbers on a per-method object bound when the method is registered;
// the families are filled from those numbers when /metrics is scraped.

/** gRPC status codes by number, as grpc-go's codes.Code prints them (the grpc_code label). */
export const GRPC_CODE_NAMES = [
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
] as const;

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

export function grpcTypeOf(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream && responseStream) return 'bidi_stream';
  if (requestStream) return 'client_stream';
  if (responseStream) return 'server_stream';
  return 'unary';
}

/** Counts of one RPC method; every call of the method updates the same object. */
export class MethodStats {
  started = 0;
  received = 0;
  sent = 0;
  readonly handled = new Float64Array(GRPC_CODE_NAMES.length);
  /**
   * etcd's series for a method exist from the start (zeros) for the services go-grpc-prometheus saw at
   * registration; the election and lock services, registered later, show up once called.
   */
  readonly preRegistered: boolean;
  /** grpc_server_handling_seconds' child for this method, with --metrics extensive. */
  handling: prom.Histogram.Internal<(typeof LABELS)[number]> | null = null;

  constructor(
    readonly service: string,
    readonly method: string,
    readonly type: GrpcType,
  ) {
    this.preRegistered = service !== 'v3electionpb.Election' && service !== 'v3lockpb.Lock';
  }

  get shown(): boolean {
    return this.preRegistered || this.started > 0;
  }
}

/** Bytes and requests over all methods (etcd_network_client_grpc_*, etcd_server_client_requests_total). */
export class ClientTraffic {
  receivedBytes = 0;
  sentBytes = 0;
  private readonly requests = new Map<string, { unary: number; stream: number }>();
  private last: { version: string; counts: { unary: number; stream: number } } | undefined;

  /** One call started; `version` is the client-api-version metadata etcd's clients send. */
  request(version: string | undefined, stream: boolean): void {
    const v = version ?? 'unknown';
    let last = this.last;
    if (last === undefined || last.version !== v) {
      let counts = this.requests.get(v);
      if (counts === undefined) {
        counts = { unary: 0, stream: 0 };
        this.requests.set(v, counts);
      }
      last = { version: v, counts };
      this.last = last;
    }
    if (stream) last.counts.stream++;
    else last.counts.unary++;
  }

  entries(): IterableIterator<[string, { unary: number; stream: number }]> {
    return this.requests.entries();
  }
}

/** Every gRPC method's counts for this process (one registry, as prom-client's default one). */
export class GrpcMetrics {
  private readonly methods = new Map<string, MethodStats>();
  readonly traffic = new ClientTraffic();
  private handlingTime: prom.Histogram<(typeof LABELS)[number]> | null = null;

  /** `registry`: where --metrics extensive adds its histogram (the shared instance: the default one). */
  constructor(private readonly registry: prom.Registry = prom.register) {}

  /** --metrics extensive: time every call from its start to its status (go-grpc-prometheus' histogram). */
  enableHandlingTime(): void {
    if (this.handlingTime !== null) return;
    this.handlingTime = new prom.Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    for (const m of this.methods.values()) this.bindHandling(m);
  }

  private bindHandling(m: MethodStats): void {
    if (this.handlingTime === null) return;
    m.handling = this.handlingTime.labels(labelsOf(m));
    // etcd's zero series from the start, for the methods it pre-registers
    if (m.preRegistered) this.handlingTime.zero(labelsOf(m));
  }

  /** The stats object for `/service/method`, created (with zero counts, as etcd pre-registers) on first use. */
  method(path: string, requestStream: boolean, responseStream: boolean): MethodStats {
    let m = this.methods.get(path);
    if (m === undefined) {
      const slash = path.lastIndexOf('/');
      m = new MethodStats(
        path.slice(1, slash),
        path.slice(slash + 1),
        grpcTypeOf(requestStream, responseStream),
      );
      this.methods.set(path, m);
      this.bindHandling(m);
    }
    return m;
  }

  /** The methods whose series /metrics shows. */
  *all(): IterableIterator<MethodStats> {
    for (const m of this.methods.values()) if (m.shown) yield m;
  }
}

const LABELS = ['grpc_method', 'grpc_service', 'grpc_type'] as const;

function labelsOf(m: MethodStats) {
  return { grpc_method: m.method, grpc_service: m.service, grpc_type: m.type };
}

function register(g: GrpcMetrics): void {
  new prom.Counter({
    name: 'grpc_server_started_total',
    help: 'Total number of RPCs started on the server.',
    labelNames: LABELS,
    collect() {
      this.reset();
      for (const m of g.all()) this.inc(labelsOf(m), m.started);
    },
  });
  new prom.Counter({
    name: 'grpc_server_handled_total',
    help: 'Total number of RPCs completed on the server, regardless of success or failure.',
    labelNames: ['grpc_code', ...LABELS],
    collect() {
      this.reset();
      for (const m of g.all()) {
        const l = labelsOf(m);
        for (let c = 0; c < GRPC_CODE_NAMES.length; c++)
          this.inc({ grpc_code: GRPC_CODE_NAMES[c]!, ...l }, m.handled[c]!);
      }
    },
  });
  new prom.Counter({
    name: 'grpc_server_msg_received_total',
    help: 'Total number of RPC stream messages received on the server.',
    labelNames: LABELS,
    collect() {
      this.reset();
      for (const m of g.all()) this.inc(labelsOf(m), m.received);
    },
  });
  new prom.Counter({
    name: 'grpc_server_msg_sent_total',
    help: 'Total number of gRPC stream messages sent by the server.',
    labelNames: LABELS,
    collect() {
      this.reset();
      for (const m of g.all()) this.inc(labelsOf(m), m.sent);
    },
  });
  new prom.Counter({
    name: 'etcd_network_client_grpc_received_bytes_total',
    help: 'The total number of bytes received from grpc clients.',
    collect() {
      this.reset();
      this.inc(g.traffic.receivedBytes);
    },
  });
  new prom.Counter({
    name: 'etcd_network_client_grpc_sent_bytes_total',
    help: 'The total number of bytes sent to grpc clients.',
    collect() {
      this.reset();
      this.inc(g.traffic.sentBytes);
    },
  });
  new prom.Counter({
    name: 'etcd_server_client_requests_total',
    help: 'The total number of client requests per client version.',
    labelNames: ['type', 'client_api_version'],
    collect() {
      this.reset();
      for (const [v, c] of g.traffic.entries()) {
        if (c.unary > 0) this.inc({ type: 'unary', client_api_version: v }, c.unary);
        if (c.stream > 0) this.inc({ type: 'stream', client_api_version: v }, c.stream);
      }
    },
  });
}

let shared: GrpcMetrics | undefined;

/** The process's gRPC metrics, registered in prom-client's default registry on first use. */
export function grpcMetrics(): GrpcMetrics {
  if (shared === undefined) {
    shared = new GrpcMetrics();
    register(shared);
  }
  return shared;
}

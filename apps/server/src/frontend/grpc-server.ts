// gRPC served straight from node:http2 (h2c). One process of @grpc/grpc-js tops out well below etcd's
// throughput, mostly in its per-call JS machinery, so the hot unary path here does the minimum: one
// call object, one decode, one encode into a Buffer, headers + DATA + trailers from shared constants.
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { EtcdError, GrpcCode, toStatus } from '../errors';
import { type GrpcMetrics, grpcMetrics, type MethodStats } from '../metrics/grpc-metrics';
import type { Caller } from '../server-api';
import { encodeGrpcMessage, frameMessage, MessageReader, parseGrpcTimeout } from './grpc-wire';

/** One RPC as the transport needs it: where it is, whether each side streams, and how to (de)serialize. */
export interface MethodDef<Req = any, Res = any> {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  decode(buf: Uint8Array): Req;
  encode(msg: Res): Uint8Array;
}

/** What a unary handler learns about its call besides the request (also built by the JSON gateway). */
export interface CallContext extends Caller {
  /** Encoded size of the request message in bytes. */
  readonly size: number;
  /** True once the client has gone away or its deadline passed before the answer. */
  readonly cancelled: boolean;
  /** Runs `f` once if the client goes away before the answer (for long waits such as Lock). */
  onCancel(f: () => void): void;
}

/** The server side of a streaming call as handlers see it (gRPC stream or JSON gateway stream). */
export interface ServerStream<Req = any, Res = any> extends Caller {
  /** Each request message, decoded. */
  onmessage: ((req: Req) => void) | null;
  /** The client finished sending (it may still read). */
  onhalfclose: (() => void) | null;
  /** The client went away (RST_STREAM, connection loss or deadline): stop producing. Called at most once. */
  oncancel: (() => void) | null;
  /** Sends one response; false means output is buffering (see `drained`). */
  write(res: Res): boolean;
  drained(): Promise<void>;
  /** Ends the call with OK, or with the error's status. */
  end(err?: unknown): void;
  readonly closed: boolean;
}

/** A unary handler returns the response (or a promise of it) or throws an EtcdError. */
export type UnaryHandler<Req = any, Res = any> = (req: Req, ctx: CallContext) => Res | Promise<Res>;
/** A streaming handler is called once when the stream opens and wires itself to the call's callbacks. */
export type StreamHandler<Req = any, Res = any> = (call: ServerStream<Req, Res>) => void;

export interface GrpcServerOptions {
  /** Largest request message accepted (etcd: --max-request-bytes + 512 KiB). */
  maxReceiveMessageLength?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS sent to clients (etcd's --max-concurrent-streams); default 2^32-1. */
  maxConcurrentStreams?: number;
  /** Serves HTTP/2 requests that are not gRPC (e.g. h2c GET /health); default answers 415. */
  fallback?: (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    flags?: number,
    rawHeaders?: string[],
  ) => void;
  /** Where calls are counted (default: the process's, served at /metrics). */
  metrics?: GrpcMetrics;
}

interface Route {
  def: MethodDef;
  unary: UnaryHandler | null;
  stream: StreamHandler | null;
  stats: MethodStats;
}

const kCall = Symbol('grpcCall');
const { HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, NGHTTP2_NO_ERROR } = http2.constants;

const OK_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };
const OK_TRAILERS = { 'grpc-status': '0' };
const RESPOND_WITH_TRAILERS = { waitForTrailers: true, sendDate: false } as any;
const RESPOND_END = { endStream: true, sendDate: false } as any;
const DEFAULT_MAX_RECV = 4 * 1024 * 1024;

function ignore(): void {}

abstract class BaseCall {
  readonly stream: http2.ServerHttp2Stream;
  readonly def: MethodDef;
  readonly reader: MessageReader;
  /** Request headers (metadata such as an auth token). */
  readonly metadata: http2.IncomingHttpHeaders;
  done = false;
  timer: NodeJS.Timeout | null = null;
  trailers: Record<string, string> = OK_TRAILERS;
  /** The method's counts, once the call has started as go-grpc-prometheus counts it (null before). */
  stats: MethodStats | null = null;
  private startedAt = 0;

  constructor(
    stream: http2.ServerHttp2Stream,
    def: MethodDef,
    headers: http2.IncomingHttpHeaders,
    max: number,
    readonly route: Route,
  ) {
    this.stream = stream;
    this.def = def;
    this.metadata = headers;
    const enc = headers['grpc-encoding'];
    this.reader = new MessageReader(max, typeof enc === 'string' ? enc : undefined);
  }

  /** Counts the call as started (after its first message for unary calls, as grpc-go's interceptors). */
  protected start(traffic: GrpcMetrics['traffic'], stream: boolean): void {
    const st = this.route.stats;
    this.stats = st;
    st.started++;
    if (st.handling !== null) this.startedAt = performance.now();
    const v = this.metadata['client-api-version'];
    traffic.request(typeof v === 'string' ? v : undefined, stream);
  }

  /** Counts the call's end with its status code (once; nothing for calls that never started). */
  protected handled(code: number): void {
    const st = this.stats;
    if (st === null) return;
    this.stats = null;
    st.handled[code]++;
    st.handling?.observe((performance.now() - this.startedAt) / 1000);
  }

  /** The auth token from the `token` metadata (read only while auth is enabled). */
  get token(): string | undefined {
    const t = this.metadata.token;
    return typeof t === 'string' ? t : undefined;
  }

  /** The verified client certificate's common name (TLS with --client-cert-auth). */
  commonName(): string | undefined {
    const socket = this.stream.session?.socket as TLSSocket | undefined;
    if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    return typeof cn === 'string' && cn !== '' ? cn : undefined;
  }

  /** Ends the call with an error status (trailers-only when nothing was sent yet). */
  fail(err: unknown): void {
    if (this.done) return;
    this.finish();
    const { code, message } = toStatus(err);
    this.handled(code);
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    if (!s.headersSent) {
      s.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(code),
          'grpc-message': encodeGrpcMessage(message),
        },
        RESPOND_END,
      );
      // Stop a client still uploading (e.g. an oversized message) instead of reading it to the end.
      if (!s.readableEnded) s.close(NGHTTP2_NO_ERROR);
    } else {
      this.trailers = { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
      s.end();
    }
  }

  protected finish(): void {
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  abstract onData(chunk: Buffer): void;
  abstract onEnd(): void;
  abstract onClose(): void;
}

/** The transport side of one unary RPC. */
export class UnaryCall extends BaseCall implements CallContext {
  private msg: Uint8Array | null = null;
  size = 0;
  cancelled = false;
  private cancelFns: (() => void)[] | null = null;
  private readonly handler: UnaryHandler;

  constructor(
    stream: http2.ServerHttp2Stream,
    route: Route,
    headers: http2.IncomingHttpHeaders,
    max: number,
    private readonly traffic: GrpcMetrics['traffic'],
  ) {
    super(stream, route.def, headers, max, route);
    this.handler = route.unary!;
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    try {
      this.reader.push(chunk, collectUnary, this);
    } catch (e) {
      this.fail(e);
    }
  }

  setMessage(msg: Uint8Array): void {
    if (this.msg !== null) {
      throw new EtcdError(
        GrpcCode.INTERNAL,
        'grpc: client streaming protocol violation: get <nil>, want <EOF>',
      );
    }
    this.msg = msg;
    this.size = msg.length;
  }

  onEnd(): void {
    if (this.done) return;
    if (this.msg === null || !this.reader.idle) {
      this.fail(new EtcdError(GrpcCode.INTERNAL, 'grpc: error while receiving message: unexpected EOF'));
      return;
    }
    let req: unknown;
    try {
      req = this.def.decode(this.msg);
    } catch (e) {
      this.fail(
        new EtcdError(GrpcCode.INTERNAL, `grpc: error unmarshalling request: ${(e as Error).message}`),
      );
      return;
    }
    this.start(this.traffic, false);
    this.stats!.received++;
    this.traffic.receivedBytes += this.size;
    this.msg = null;
    let res: unknown;
    try {
      res = this.handler(req, this);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (res instanceof Promise) {
      res.then(
        (r) => this.reply(r),
        (e) => this.fail(e),
      );
    } else this.reply(res);
  }

  reply(res: unknown): void {
    if (this.done) return;
    this.finish();
    const s = this.stream;
    if (s.destroyed || s.closed) {
      // the handler succeeded though the client is gone (grpc-go's interceptor sees OK too)
      this.handled(0);
      return;
    }
    let buf: Buffer;
    try {
      buf = frameMessage(this.def.encode(res));
    } catch (e) {
      this.fail(new EtcdError(GrpcCode.INTERNAL, `grpc: error while marshaling: ${(e as Error).message}`));
      return;
    }
    const st = this.stats;
    if (st !== null) {
      st.sent++;
      this.traffic.sentBytes += buf.length - 5;
      this.handled(0);
    }
    s.respond(OK_HEADERS, RESPOND_WITH_TRAILERS);
    s.end(buf);
  }

  onClose(): void {
    const gone = !this.done;
    this.finish();
    if (gone) {
      this.handled(1);
      this.cancel();
    }
  }

  onCancel(f: () => void): void {
    if (this.cancelled) {
      f();
      return;
    }
    if (this.cancelFns === null) {
      this.cancelFns = [];
      if (this.timer === null) this.stream.on('close', onStreamClose);
    }
    this.cancelFns.push(f);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const fns = this.cancelFns;
    this.cancelFns = null;
    if (fns) for (const f of fns) f();
  }
}

function collectUnary(msg: Uint8Array, call: UnaryCall): void {
  call.setMessage(msg);
}

/**
 * The transport side of a streaming RPC (client, server or bidi). The handler sets `onmessage`,
 * `onhalfclose` and `oncancel`, and answers with `write` and `end`.
 */
export class StreamCall<Req = any, Res = any> extends BaseCall implements ServerStream<Req, Res> {
  /** Each request message, decoded. */
  onmessage: ((req: Req) => void) | null = null;
  /** The client finished sending (it may still read). */
  onhalfclose: (() => void) | null = null;
  /** The client went away (RST_STREAM, connection loss or deadline): stop producing. Called at most once. */
  oncancel: (() => void) | null = null;
  private cancelled = false;

  constructor(
    stream: http2.ServerHttp2Stream,
    route: Route,
    headers: http2.IncomingHttpHeaders,
    max: number,
    private readonly traffic: GrpcMetrics['traffic'],
  ) {
    super(stream, route.def, headers, max, route);
    this.start(traffic, true);
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    try {
      this.reader.push(chunk, deliverStream, this);
    } catch (e) {
      this.fail(e);
      this.cancel();
    }
  }

  deliver(msg: Uint8Array): void {
    if (this.done) return;
    const st = this.stats;
    if (st !== null) st.received++;
    this.traffic.receivedBytes += msg.length;
    let req: Req;
    try {
      req = this.def.decode(msg);
    } catch (e) {
      throw new EtcdError(
        GrpcCode.INTERNAL,
        `grpc: failed to unmarshal the received message ${(e as Error).message}`,
      );
    }
    this.onmessage?.(req);
  }

  onEnd(): void {
    if (this.done) return;
    if (!this.reader.idle) {
      this.fail(new EtcdError(GrpcCode.INTERNAL, 'grpc: error while receiving message: unexpected EOF'));
      this.cancel();
      return;
    }
    try {
      this.onhalfclose?.();
    } catch (e) {
      this.fail(e);
      this.cancel();
    }
  }

  /** Sends one response message; false means the stream is buffering (wait for `drained()`). */
  write(res: Res): boolean {
    if (this.done) return false;
    const s = this.stream;
    if (s.destroyed || s.closed) return false;
    if (!s.headersSent) s.respond(OK_HEADERS, RESPOND_WITH_TRAILERS);
    const buf = frameMessage(this.def.encode(res));
    const st = this.stats;
    if (st !== null) st.sent++;
    this.traffic.sentBytes += buf.length - 5;
    return s.write(buf);
  }

  /** Resolves when buffered output has been flushed (or the stream is gone). */
  drained(): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.closed || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  /** Ends the stream with OK, or with the error's status. */
  end(err?: unknown): void {
    if (this.done) return;
    if (err !== undefined) {
      this.fail(err);
      return;
    }
    this.finish();
    this.handled(0);
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    if (!s.headersSent) {
      s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, RESPOND_END);
      if (!s.readableEnded) s.close(NGHTTP2_NO_ERROR);
    } else s.end();
  }

  /** True once the client is gone or the call has ended. */
  get closed(): boolean {
    return this.done || this.cancelled;
  }

  onClose(): void {
    this.finish();
    this.handled(1);
    this.cancel();
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const f = this.oncancel;
    this.oncancel = null;
    f?.();
  }

  /** Deadline expiry: the client has given up. */
  expire(): void {
    this.fail(new EtcdError(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded'));
    this.cancel();
  }
}

function deliverStream(msg: Uint8Array, call: StreamCall): void {
  call.deliver(msg);
}

// Shared listeners: `this` is the stream, the call hangs off it, so no closure is made per request.
function onStreamData(this: any, chunk: Buffer): void {
  this[kCall].onData(chunk);
}
function onStreamEnd(this: any): void {
  this[kCall].onEnd();
}
function onStreamClose(this: any): void {
  this[kCall].onClose();
}
function onWantTrailers(this: any): void {
  this.sendTrailers(this[kCall].trailers);
}
function onDeadline(call: BaseCall): void {
  call.timer = null;
  if (call instanceof StreamCall) call.expire();
  else {
    call.fail(new EtcdError(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded'));
    (call as UnaryCall).cancel();
  }
}

/** etcd's gRPC services served on a node:http2 server; hand it sockets with `h2.emit('connection', socket)`. */
export class GrpcServer {
  readonly h2: http2.Http2Server;
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<net.Socket>();
  private readonly maxRecv: number;
  readonly maxConcurrentStreams: number;
  private readonly fallback: GrpcServerOptions['fallback'];
  private readonly metrics: GrpcMetrics;

  constructor(opts: GrpcServerOptions = {}) {
    this.maxRecv = opts.maxReceiveMessageLength ?? DEFAULT_MAX_RECV;
    // grpc-go takes 0 as no limit
    this.maxConcurrentStreams = opts.maxConcurrentStreams || 0xffffffff;
    this.metrics = opts.metrics ?? grpcMetrics();
    this.fallback = opts.fallback;
    this.h2 = http2.createServer({
      settings: {
        maxConcurrentStreams: this.maxConcurrentStreams,
        initialWindowSize: 1 << 20,
        maxHeaderListSize: 1 << 16,
      },
      maxSessionMemory: 256,
      maxSessionInvalidFrames: 100,
    });
    this.h2.on(
      'stream',
      (
        stream: http2.ServerHttp2Stream,
        headers: http2.IncomingHttpHeaders,
        flags: number,
        rawHeaders: string[],
      ) => this.onStream(stream, headers, flags, rawHeaders),
    );
    this.h2.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', ignore);
      // A bigger connection window keeps large puts and many concurrent streams from stalling.
      session.on('connect', () => {
        try {
          session.setLocalWindowSize(16 << 20);
        } catch {}
      });
    });
    this.h2.on('sessionError', ignore);
    this.h2.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  addUnary<Req, Res>(def: MethodDef<Req, Res>, handler: UnaryHandler<Req, Res>): void {
    if (def.requestStream || def.responseStream) throw new Error(`${def.path} is a streaming method`);
    this.add({ def, unary: handler as UnaryHandler, stream: null, stats: this.stats(def) });
  }

  addStream<Req, Res>(def: MethodDef<Req, Res>, handler: StreamHandler<Req, Res>): void {
    if (!def.requestStream && !def.responseStream) throw new Error(`${def.path} is a unary method`);
    this.add({ def, unary: null, stream: handler as StreamHandler, stats: this.stats(def) });
  }

  private stats(def: MethodDef): MethodStats {
    return this.metrics.method(def.path, def.requestStream, def.responseStream);
  }

  private add(route: Route): void {
    const p = route.def.path;
    this.routes.set(p, route);
    this.services.add(p.slice(1, p.lastIndexOf('/')));
  }

  private onStream(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    flags?: number,
    rawHeaders?: string[],
  ): void {
    stream.on('error', ignore);
    const ct = headers[HTTP2_HEADER_CONTENT_TYPE];
    if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) {
      if (this.fallback) this.fallback(stream, headers, flags, rawHeaders);
      else {
        stream.respond({ ':status': 415, 'content-type': 'text/plain' }, { sendDate: false } as any);
        stream.end('415 unsupported media type\n');
      }
      return;
    }
    const path = headers[HTTP2_HEADER_PATH] as string;
    const route = this.routes.get(path);
    if (route === undefined) {
      rejectStream(stream, GrpcCode.UNIMPLEMENTED, this.unknownMethod(path));
      return;
    }
    const timeout = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
    if (timeout === -2) {
      rejectStream(
        stream,
        GrpcCode.INTERNAL,
        `transport: malformed grpc-timeout: ${headers['grpc-timeout']}`,
      );
      return;
    }
    const enc = headers['grpc-encoding'];
    if (typeof enc === 'string' && enc !== 'identity' && enc !== 'gzip') {
      rejectStream(
        stream,
        GrpcCode.UNIMPLEMENTED,
        `grpc: Decompressor is not installed for grpc-encoding "${enc}"`,
      );
      return;
    }
    let call: BaseCall;
    if (route.unary !== null) {
      call = new UnaryCall(stream, route, headers, this.maxRecv, this.metrics.traffic);
    } else {
      call = new StreamCall(stream, route, headers, this.maxRecv, this.metrics.traffic);
    }
    (stream as any)[kCall] = call;
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('wantTrailers', onWantTrailers);
    if (timeout >= 0) call.timer = setTimeout(onDeadline, Math.min(timeout, 2 ** 31 - 1), call);
    if (call instanceof StreamCall) {
      stream.on('close', onStreamClose);
      try {
        route.stream!(call);
      } catch (e) {
        call.end(e);
      }
    } else if (call.timer !== null) stream.on('close', onStreamClose);
  }

  private unknownMethod(path: string): string {
    const slash = path.lastIndexOf('/');
    if (!path.startsWith('/') || slash <= 0) return `malformed method name: "${path}"`;
    const service = path.slice(1, slash);
    if (!this.services.has(service)) return `unknown service ${service}`;
    return `unknown method ${path.slice(slash + 1)} for service ${service}`;
  }

  /** Stops taking connections; open sessions get GOAWAY and are destroyed after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    for (const s of this.sessions) s.close();
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
    // A peer that ignores GOAWAY and our FIN would otherwise hold its socket open.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

function rejectStream(stream: http2.ServerHttp2Stream, code: GrpcCode, message: string): void {
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
    },
    RESPOND_END,
  );
  if (!stream.readableEnded) stream.close(NGHTTP2_NO_ERROR);
}

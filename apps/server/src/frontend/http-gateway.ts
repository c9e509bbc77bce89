// The HTTP/1.1 side of the client port: etcd's grpc-gateway JSON API (POST /v3/...), GET /health,
// GET /version and GET /metrics. JSON calls run through the same handler table as gRPC.
import * as http from 'node:http';
import {
  findGatewayMethod,
  GatewayError,
  gatewayErrorJson,
  gatewayResponseJson,
  gatewayStreamChunk,
  gatewayStreamErrorChunk,
  httpStatusFromGrpcCode,
  parseGatewayRequest,
} from '@kv/api-proto';
import type { HandlerTable } from '../api/handlers';
import { EtcdError, GrpcCode, toStatus } from '../errors';
import { beginScrape, countHealthCheck } from '../metrics/scrape-metrics';
import type { EtcdServerApi } from '../server-api';
import { GatewaySlots } from './gateway-slots';
import type { CallContext, ServerStream } from './grpc-server';
import { isHealthPath, serveHealth } from './health';
import { JsonValueSplitter } from './json-stream';

export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export interface HttpGatewayOptions {
  table: HandlerTable;
  server: EtcdServerApi;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** What GET /version reports (etcd 3.4: {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}). */
  version: { server: string; cluster: string };
  metrics: MetricsSource;
  /** How long a health probe's read may take (etcd's request timeout: 5 s + 2 election timeouts). */
  requestTimeoutMs: number;
  /** --max-concurrent-streams: JSON calls in flight together, as etcd's gateway connection allows. */
  maxConcurrentStreams?: number;
}

// etcd's HTTP handlers answer every request with these.
const CORS = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};
const JSON_HEADERS = {
  ...CORS,
  'Content-Type': 'application/json',
  'Grpc-Metadata-Content-Type': 'application/grpc',
};

export function createHttpGateway(opts: HttpGatewayOptions): http.Server {
  const slots = new GatewaySlots(opts.maxConcurrentStreams || 0xffffffff);
  const server = http.createServer((req, res) => {
    handle(opts, slots, req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { ...CORS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${(e as Error).message}\n`);
    });
  });
  // Garbage and malformed HTTP: answer 400 when possible, never throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

async function handle(
  opts: HttpGatewayOptions,
  slots: GatewaySlots,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const query = q < 0 ? '' : url.slice(q + 1);
  res.on('error', () => {});
  // etcd's CORS wrapper answers OPTIONS before its mux looks at the path.
  if (req.method === 'OPTIONS') {
    res.writeHead(200, CORS);
    res.end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
  } catch {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('400 Bad Request');
    return;
  }
  // etcd 3.4 still answers the /v3beta/ gateway of 3.3 by rewriting it to /v3/ (embed's access
  // controller), before its mux cleans the path; /v3alpha/ is gone.
  if (path.startsWith('/v3beta/')) path = `/v3/${path.slice('/v3beta/'.length)}`;
  const clean = cleanPath(path);
  // Go's ServeMux: an unclean path, or a registered subtree without its slash, is redirected.
  if (clean !== path || path === '/v3') {
    redirect(req, res, `${encodeURI(path === '/v3' ? '/v3/' : clean)}${q < 0 ? '' : `?${query}`}`);
    return;
  }
  if (isHealthPath(path)) {
    return serveHealth(
      opts.server,
      req.method ?? 'GET',
      path,
      new URLSearchParams(query),
      res,
      opts.requestTimeoutMs,
    );
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (path === '/version') {
      res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: opts.version.server, etcdcluster: opts.version.cluster }));
      return;
    }
    if (path === '/metrics') {
      const scraped = beginScrape();
      const text = await opts.metrics.metrics().catch((err) => {
        scraped(500);
        throw err;
      });
      scraped(200);
      res.writeHead(200, { 'Content-Type': opts.metrics.contentType });
      res.end(text);
      return;
    }
  }
  if (!path.startsWith('/v3/')) {
    res.writeHead(404, {
      ...CORS,
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end('404 page not found\n');
    return;
  }
  let streaming: boolean;
  try {
    streaming = findGatewayMethod(req.method ?? 'GET', path).requestStream;
  } catch (e) {
    if (e instanceof GatewayError) {
      res.writeHead(e.status, { ...CORS, 'Content-Type': e.contentType });
      res.end(e.body);
      return;
    }
    throw e;
  }
  // the slot is held until the answer is done; the request body waits unread meanwhile
  const slot = slots.acquire();
  const release = typeof slot === 'function' ? slot : await slot;
  if (res.closed || res.destroyed) {
    // the client gave up while waiting
    release();
    return;
  }
  res.once('close', release);
  if (streaming) {
    serveRequestStream(opts, path, req, res);
    return;
  }
  const body = await readBody(req, opts.maxBodyBytes);
  if (body === null) {
    sendError(res, 8, `grpc: received message larger than max (> ${opts.maxBodyBytes})`);
    return;
  }
  let call: ReturnType<typeof parseGatewayRequest>;
  try {
    call = parseGatewayRequest(req.method ?? 'GET', path, body);
  } catch (e) {
    if (e instanceof GatewayError) {
      res.writeHead(e.status, { ...CORS, 'Content-Type': e.contentType });
      res.end(e.body);
      return;
    }
    throw e;
  }
  const entry = opts.table.get(call.method.path);
  if (entry === undefined) {
    sendError(
      res,
      12,
      `unknown method ${call.method.method} for service ${call.method.package}.${call.method.service}`,
    );
    return;
  }
  if (entry.unary !== null) {
    const ctx = new HttpCallContext(req, res, body.length);
    try {
      const out = await entry.unary(call.requests[0], ctx);
      res.writeHead(200, JSON_HEADERS);
      res.end(gatewayResponseJson(call.method, out as object));
    } catch (e) {
      const { code, message } = toStatus(e);
      sendError(res, code, message);
    }
    return;
  }
  const stream = new HttpServerStream(call.method, req, res);
  entry.stream!(stream);
  for (const r of call.requests) {
    if (stream.closed) break;
    stream.onmessage?.(r);
  }
  if (!stream.closed) stream.onhalfclose?.();
}

/**
 * A client-streaming call (Watch, LeaseKeepAlive): each JSON value of the body is one request, handed to
 * the handler as soon as it is complete; the end of the body is the client's half-close.
 */
function serveRequestStream(
  opts: HttpGatewayOptions,
  path: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const method = findGatewayMethod('POST', path);
  const entry = opts.table.get(method.path);
  const stream = new HttpServerStream(method, req, res);
  if (entry?.stream == null) {
    stream.end(new EtcdError(GrpcCode.UNIMPLEMENTED, `unknown method ${method.method}`));
    return;
  }
  entry.stream(stream);
  const splitter = new JsonValueSplitter();
  let delivered = 0;
  // As grpc-gateway: a first request that does not decode fails the call (code 2); a later one only
  // ends the client's sending side, and responses keep flowing.
  let inputDone = false;
  const fail = (message: string) => {
    inputDone = true;
    if (delivered === 0) stream.end(new EtcdError(GrpcCode.UNKNOWN, message));
    else stream.onhalfclose?.();
  };
  req.on('data', (chunk: Buffer) => {
    if (stream.closed || inputDone) return;
    for (const text of splitter.push(chunk)) {
      if (stream.closed) return;
      let request: unknown;
      try {
        request = parseGatewayRequest('POST', path, text).requests[0];
      } catch (e) {
        fail((e as Error).message);
        return;
      }
      if (request !== undefined) {
        delivered++;
        stream.onmessage?.(request);
      }
    }
    if (!inputDone && splitter.pendingLength > opts.maxBodyBytes) fail('request too large');
  });
  req.on('end', () => {
    if (stream.closed || inputDone) return;
    inputDone = true;
    const rest = splitter.rest();
    if (rest !== '') {
      try {
        parseGatewayRequest('POST', path, rest);
        fail('unexpected EOF');
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    }
    stream.onhalfclose?.();
  });
  req.on('error', () => {});
}

/** Go's cleanPath: `.`, `..` and repeated slashes resolved, a trailing slash kept. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = `/${p}`;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  let np = `/${parts.join('/')}`;
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** Go's http.Redirect with 301: a small HTML body for GET and HEAD only. */
function redirect(req: http.IncomingMessage, res: http.ServerResponse, location: string): void {
  const get = req.method === 'GET' || req.method === 'HEAD';
  const body = get ? `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n` : '';
  res.writeHead(301, {
    ...CORS,
    Location: location,
    ...(get ? { 'Content-Type': 'text/html; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function htmlEscape(s: string): string {
  const named: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&#34;',
    "'": '&#39;',
  };
  return s.replace(/[&<>"']/g, (c) => named[c]!);
}

function sendError(res: http.ServerResponse, code: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(httpStatusFromGrpcCode(code), { ...CORS, 'Content-Type': 'application/json' });
  res.end(gatewayErrorJson(code, message));
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

class HttpCallContext implements CallContext {
  cancelled = false;
  private fns: (() => void)[] = [];
  constructor(
    private readonly req: http.IncomingMessage,
    res: http.ServerResponse,
    readonly size: number,
  ) {
    res.on('close', () => {
      if (res.writableFinished) return;
      this.cancelled = true;
      for (const f of this.fns.splice(0)) f();
    });
  }
  onCancel(f: () => void): void {
    if (this.cancelled) f();
    else this.fns.push(f);
  }
  /** grpc-gateway passes the Authorization header on as the token. */
  get token(): string | undefined {
    return this.req.headers.authorization;
  }
  /** etcd ignores the certificate of gateway requests (they come through its own proxy). */
  commonName(): undefined {
    return undefined;
  }
}

/** A streaming call over HTTP/1.1: each response is a `{"result":...}` line, as grpc-gateway writes them. */
class HttpServerStream implements ServerStream {
  onmessage: ((req: any) => void) | null = null;
  onhalfclose: (() => void) | null = null;
  oncancel: (() => void) | null = null;
  private done = false;

  constructor(
    private readonly method: Parameters<typeof gatewayStreamChunk>[0],
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    res.on('close', () => {
      const wasDone = this.done;
      this.done = true;
      if (!wasDone) {
        const f = this.oncancel;
        this.oncancel = null;
        f?.();
      }
    });
  }

  get closed(): boolean {
    return this.done;
  }

  get token(): string | undefined {
    return this.req.headers.authorization;
  }

  commonName(): undefined {
    return undefined;
  }

  write(msg: any): boolean {
    if (this.done) return false;
    if (!this.res.headersSent) this.res.writeHead(200, JSON_HEADERS);
    return this.res.write(gatewayStreamChunk(this.method, msg));
  }

  drained(): Promise<void> {
    if (this.done || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const f = () => {
        this.res.off('drain', f);
        this.res.off('close', f);
        resolve();
      };
      this.res.on('drain', f);
      this.res.on('close', f);
    });
  }

  end(err?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.oncancel = null;
    if (err === undefined) {
      if (!this.res.headersSent) this.res.writeHead(200, JSON_HEADERS);
      this.res.end();
      return;
    }
    const { code, message } = toStatus(err);
    if (!this.res.headersSent) {
      this.res.writeHead(httpStatusFromGrpcCode(code), { ...CORS, 'Content-Type': 'application/json' });
      this.res.end(gatewayErrorJson(code, message));
    } else this.res.end(gatewayStreamErrorChunk(code, message));
  }
}

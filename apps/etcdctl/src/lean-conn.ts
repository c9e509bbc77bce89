// get/put/del over plain node:http2: one unary gRPC call (5-byte framing, grpc-status trailers)
// without loading grpc-js, @kv/client or the generated message code, which is most of etcdctl's
// start-up time. Only the simple case takes this path (plain text, no auth); whenever the full client
// could behave differently (no connection, a member without a leader, an ambiguous failure of a read)
// the call is handed to the full Conn, so output and errors stay the client's.
import type { ClientHttp2Session } from 'node:http2';
import type { Conn } from './conn';
import type { ConnOptions } from './conn-options';
import * as wire from './kv-wire';

type Any = any;

const methods: Record<string, { encode: (r: Any) => Buffer; decoder: Any; write: boolean }> = {
  Range: { encode: wire.encodeRange, decoder: wire.RangeResponse, write: false },
  Put: { encode: wire.encodePut, decoder: wire.PutResponse, write: true },
  DeleteRange: { encode: wire.encodeDeleteRange, decoder: wire.DeleteRangeResponse, write: true },
};

/** Errors after which the full client would try again (elsewhere), as @kv/client's policy says. */
const TRANSIENT = /etcdserver: no leader|etcdserver: leader changed|etcdserver: request timed out/;
/** Errors that prove a write was not applied, so it may be repeated by the full client. */
const NOT_EXECUTED = /etcdserver: no leader|etcdserver: stopped|not capable|etcdserver: unhealthy cluster/i;

/** A failure that the full client should handle instead (nothing printed yet). */
class HandOver extends Error {}

export class LeanConn {
  private session: ClientHttp2Session | undefined;
  private full: Conn | undefined;

  private constructor(
    private readonly opts: ConnOptions,
    private readonly authority: string,
    private readonly fullConn: () => Conn,
  ) {}

  /** A lean connection when the options allow one (plain text, no auth), else undefined. */
  static create(opts: ConnOptions, fullConn: () => Conn): LeanConn | undefined {
    if (opts.tls || opts.user !== undefined || opts.endpoints.length === 0) return undefined;
    const ep = opts.endpoints[0];
    const m = /^(?:http:\/\/)?([^/]+)\/?$/.exec(ep);
    if (!m || /^\w+:\/\//.test(ep.replace(/^http:\/\//, ''))) return undefined;
    return new LeanConn(opts, m[1], fullConn);
  }

  async unary(service: string, method: string, req: Any, timeoutMs?: number): Promise<Any> {
    const m = service === 'KV' ? methods[method] : undefined;
    if (!m) return this.fallback().unary(service as 'KV', method, req, timeoutMs);
    try {
      return await this.call(method, m, req, timeoutMs ?? this.opts.commandTimeoutMs);
    } catch (e) {
      if (e instanceof HandOver) {
        this.session?.destroy();
        this.session = undefined;
        return this.fallback().unary('KV', method, req, timeoutMs);
      }
      throw e;
    }
  }

  private fallback(): Conn {
    this.full ??= this.fullConn();
    return this.full;
  }

  private call(method: string, m: (typeof methods)[string], req: Any, timeoutMs: number): Promise<Any> {
    const http2 = require('node:http2') as typeof import('node:http2');
    const body = m.encode(req);
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    return new Promise((resolve, reject) => {
      let sent = false;
      let settled = false;
      const done = (err: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      };
      // Once the request is on the wire, a lost answer is ambiguous: a read is asked again by the
      // full client, a write is reported as the client reports an unanswered call.
      const lost = () => done(!sent || !m.write ? new HandOver() : { code: 14, details: 'connection lost' });
      // With other endpoints left the full client may still succeed; with one it would report the
      // same deadline.
      const timer = setTimeout(() => {
        if (!sent && this.opts.endpoints.length > 1) done(new HandOver());
        else done({ code: 4, details: 'Deadline exceeded' });
      }, timeoutMs);
      const session = http2.connect(`http://${this.authority}`);
      this.session = session;
      session.on('error', lost);
      session.on('goaway', lost);
      const stream = session.request({
        ':method': 'POST',
        ':path': `/etcdserverpb.KV/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      let httpStatus = 0;
      const grpcStatus = (h: Record<string, unknown>) => {
        if (h['grpc-status'] !== undefined) {
          status = String(h['grpc-status']);
          message = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      stream.on('response', (h) => {
        httpStatus = Number(h[':status']);
        grpcStatus(h);
      });
      stream.on('trailers', grpcStatus);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', lost);
      stream.on('end', () => {
        if (httpStatus !== 200 || status === undefined) return lost();
        const code = Number(status);
        if (code !== 0) {
          const handOver = m.write ? NOT_EXECUTED.test(message) : code === 14 || TRANSIENT.test(message);
          return done(handOver ? new HandOver() : { code, details: message, message });
        }
        const data = Buffer.concat(chunks);
        if (data.length < 5 || data[0] !== 0 || data.readUInt32BE(1) !== data.length - 5) return lost();
        try {
          done(undefined, wire.decode(m.decoder, data.subarray(5)));
        } catch {
          lost();
        }
      });
      stream.end(frame, () => {
        sent = true;
      });
    });
  }

  /** The full connection, if one was made, is closed by its maker. */
  close(): void {
    this.session?.close();
  }
}

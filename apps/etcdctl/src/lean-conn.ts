// get/put/del over a bare HTTP/2 exchange on a TCP socket (h2c-unary.ts): one unary gRPC call (5-byte
// framing, grpc-status trailers) without loading grpc-js, @kv/client, the generated message code or
// even node:http2, which are most of etcdctl's start-up time. Only the simple case takes this path (plain text, no auth); whenever the full client
// could behave differently (no connection, a member without a leader, an ambiguous failure of a read)
// the call is handed to the full Conn, so output and errors stay the client's.

import type { Conn } from './conn';
import type { ConnOptions } from './conn-options';
import type { Exchange } from './h2c-unary';
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
  private exchange: Exchange | undefined;
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
        this.exchange?.close();
        this.exchange = undefined;
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
    const body = m.encode(req);
    // one DATA frame within the peer's initial flow-control window; bigger requests go the full way
    if (body.length + 5 > 16384) return Promise.reject(new HandOver());
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const colon = this.authority.lastIndexOf(':');
    const host = this.authority.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(this.authority.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) return Promise.reject(new HandOver());
    const { h2cExchange } = require('./h2c-unary') as typeof import('./h2c-unary');
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ex.close();
        if (err) reject(err);
        else resolve(value);
      };
      const ex = h2cExchange(
        host,
        port,
        [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', `/etcdserverpb.KV/${method}`],
          [':authority', this.authority],
          ['content-type', 'application/grpc'],
          ['te', 'trailers'],
          ['grpc-timeout', `${Math.max(1, Math.ceil(timeoutMs))}m`],
        ],
        frame,
      );
      this.exchange = ex;
      // Once the request is on the wire, a lost answer is ambiguous: a read is asked again by the
      // full client, a write is reported as the client reports an unanswered call.
      const lost = () =>
        done(!ex.sent() || !m.write ? new HandOver() : { code: 14, details: 'connection lost' });
      // With other endpoints left the full client may still succeed; with one it would report the
      // same deadline.
      const timer = setTimeout(() => {
        if (!ex.sent() && this.opts.endpoints.length > 1) done(new HandOver());
        else done({ code: 4, details: 'Deadline exceeded' });
      }, timeoutMs);
      ex.response.then((r) => {
        // grpc-status is in the trailers, or in the headers of a trailers-only answer
        const st = r.trailers.get('grpc-status') ?? r.headers.get('grpc-status');
        const msg = r.trailers.has('grpc-status')
          ? r.trailers.get('grpc-message')
          : r.headers.get('grpc-message');
        if (r.headers.get(':status') !== '200' || st === undefined) return lost();
        let message: string;
        try {
          message = decodeURIComponent(Buffer.from(msg ?? '', 'latin1').toString());
        } catch {
          return lost();
        }
        const code = Number(st);
        if (code !== 0) {
          const handOver = m.write ? NOT_EXECUTED.test(message) : code === 14 || TRANSIENT.test(message);
          return done(handOver ? new HandOver() : { code, details: message, message });
        }
        const data = r.data;
        if (data.length < 5 || data[0] !== 0 || data.readUInt32BE(1) !== data.length - 5) return lost();
        try {
          done(undefined, wire.decode(m.decoder, data.subarray(5)));
        } catch {
          lost();
        }
      }, lost);
    });
  }

  /** The full connection, if one was made, is closed by its maker. */
  close(): void {
    this.exchange?.close();
  }
}

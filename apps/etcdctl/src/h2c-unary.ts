// One request/response exchange over cleartext HTTP/2 (prior knowledge) on a plain TCP socket: the
// frames a unary gRPC call needs, without node:http2 (which loads tls, crypto, http and streams'
// worth of modules, most of get/put/del's start-up time after node itself). Anything outside that
// small protocol ends the exchange with an error; the caller then hands the call to the full client.
import type { Socket } from 'node:net';
import { HpackDecoder } from '@kv/api-proto/hpack';

export interface H2Response {
  headers: Map<string, string>;
  trailers: Map<string, string>;
  data: Buffer;
}

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const CONTINUATION = 9;
const END_STREAM = 1;
const END_HEADERS = 4;
const PADDED = 8;
const PRIORITY = 0x20;
const MAX_WINDOW = 0x7fffffff;

function frame(type: number, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const f = Buffer.allocUnsafe(9 + payload.length);
  f.writeUIntBE(payload.length, 0, 3);
  f[3] = type;
  f[4] = flags;
  f.writeUInt32BE(stream, 5);
  f.set(payload, 9);
  return f;
}

/** an HPACK literal header without indexing, name and value as raw strings */
function literal(name: string, value: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    if (b.length >= 127) {
      // a 7-bit prefix integer continued in 7-bit groups
      const len: number[] = [127];
      let rest = b.length - 127;
      while (rest >= 128) {
        len.push((rest & 0x7f) | 0x80);
        rest >>>= 7;
      }
      len.push(rest);
      return Buffer.concat([Buffer.from(len), b]);
    }
    return Buffer.concat([Buffer.from([b.length]), b]);
  };
  return Buffer.concat([Buffer.from([0]), str(name), str(value)]);
}

export interface Exchange {
  /** resolves with the response once the stream ends, rejects on any connection or protocol error */
  response: Promise<H2Response>;
  /** true once the request's last byte was handed to the kernel */
  sent(): boolean;
  close(): void;
}

export function h2cExchange(
  host: string,
  port: number,
  headers: Array<[string, string]>,
  body: Buffer,
): Exchange {
  const net = require('node:net') as typeof import('node:net');
  let socket: Socket | undefined;
  let sent = false;
  const response = new Promise<H2Response>((resolve, reject) => {
    const res: H2Response = { headers: new Map(), trailers: new Map(), data: Buffer.alloc(0) };
    const data: Buffer[] = [];
    const hpack = new HpackDecoder();
    let continued: Buffer[] | undefined;
    let blockEndsStream = false;
    let gotHeaders = false;
    let buf: Buffer = Buffer.alloc(0);
    let finished = false;
    const fail = (why: string) => {
      if (finished) return;
      finished = true;
      socket?.destroy();
      reject(new Error(why));
    };
    const end = () => {
      if (finished) return;
      finished = true;
      res.data = Buffer.concat(data);
      resolve(res);
    };
    const headerBlock = (b: Buffer) => {
      const into = gotHeaders ? res.trailers : res.headers;
      gotHeaders = true;
      for (const [n, v] of hpack.decode(b)) into.set(n, v);
      if (blockEndsStream) end();
    };
    const onFrame = (type: number, flags: number, stream: number, p: Buffer) => {
      switch (type) {
        case SETTINGS:
          if (!(flags & 1)) s.write(frame(SETTINGS, 1, 0));
          return;
        case PING:
          if (!(flags & 1)) s.write(frame(PING, 1, 0, p));
          return;
        case GOAWAY:
          return fail('GOAWAY');
        case RST_STREAM:
          return fail(`RST_STREAM ${p.length >= 4 ? p.readUInt32BE(0) : ''}`);
        case DATA: {
          if (stream !== 1) return;
          let d = p;
          if (flags & PADDED) d = d.subarray(1, d.length - d[0]);
          data.push(d);
          if (flags & END_STREAM) end();
          return;
        }
        case HEADERS: {
          if (stream !== 1) return fail('HEADERS on another stream');
          let h = p;
          let pad = 0;
          if (flags & PADDED) {
            pad = h[0];
            h = h.subarray(1);
          }
          if (flags & PRIORITY) h = h.subarray(5);
          h = h.subarray(0, h.length - pad);
          blockEndsStream = (flags & END_STREAM) !== 0;
          if (flags & END_HEADERS) headerBlock(h);
          else continued = [h];
          return;
        }
        case CONTINUATION:
          if (!continued) return fail('CONTINUATION without HEADERS');
          continued.push(p);
          if (flags & END_HEADERS) {
            const b = Buffer.concat(continued);
            continued = undefined;
            headerBlock(b);
          }
          return;
        default:
          // WINDOW_UPDATE, PRIORITY, PUSH_PROMISE (disabled) and unknown frames: nothing to do
          return;
      }
    };
    const s = net.connect(port, host);
    socket = s;
    s.setNoDelay(true);
    s.on('error', (e) => fail(e.message));
    s.on('close', () => fail('connection closed'));
    s.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        while (buf.length >= 9) {
          const len = buf.readUIntBE(0, 3);
          if (buf.length < 9 + len) break;
          const type = buf[3];
          const flags = buf[4];
          const stream = buf.readUInt32BE(5) & 0x7fffffff;
          const p = buf.subarray(9, 9 + len);
          buf = buf.subarray(9 + len);
          onFrame(type, flags, stream, p);
          if (finished) return;
        }
      } catch (e) {
        fail((e as Error).message);
      }
    });
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(2, 0); // ENABLE_PUSH
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(4, 6); // INITIAL_WINDOW_SIZE: a big answer must not wait for window updates
    settings.writeUInt32BE(MAX_WINDOW, 8);
    const windowUpdate = Buffer.alloc(4);
    windowUpdate.writeUInt32BE(MAX_WINDOW - 65535, 0);
    const block = Buffer.concat(headers.map(([n, v]) => literal(n, v)));
    s.write(
      Buffer.concat([
        Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
        frame(SETTINGS, 0, 0, settings),
        frame(8, 0, 0, windowUpdate), // WINDOW_UPDATE of the connection
        frame(HEADERS, END_HEADERS, 1, block),
        frame(DATA, END_STREAM, 1, body),
      ]),
      () => {
        sent = true;
      },
    );
  });
  return {
    response,
    sent: () => sent,
    close: () => socket?.destroy(),
  };
}

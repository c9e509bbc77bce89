// etcdctl 3.4 (grpc-go) dials an endpoint written as a URL ("http://127.0.0.1:2379") with that whole URL
// as the request's :authority. grpc-go's server takes it; nghttp2, under node:http2, resets the stream with
// PROTOCOL_ERROR before any JavaScript sees it, so `etcdctl --endpoints http://...` and every
// `endpoint ... --cluster` would fail against us. nghttp2's check cannot be switched off from node.
//
// So each HTTP/2 connection is held back until its first request's headers are in: a connection whose
// :authority nghttp2 accepts goes to node:http2 untouched (the native socket, no cost after this), and one
// whose :authority it would refuse goes through a filter that re-encodes every request's header block
// with the authority cut down to host:port. Holding back needs the server's connection preface, since
// grpc-go sends nothing before it: we send a SETTINGS frame ourselves and drop the client's
// acknowledgement of it, which node:http2 would otherwise take for a protocol error.
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeLiteralBlock, HpackDecoder } from '@kv/api-proto/hpack';

const PREFACE_LENGTH = 24;
const FRAME_HEADER = 9;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** node:http2's SETTINGS_MAX_FRAME_SIZE, which the re-encoded frames must respect. */
const MAX_FRAME = 16_384;
/** How long a connection that sends no request is held back before it goes to node:http2 as it is. */
const IDLE_HANDOVER_MS = 250;

const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;

/**
 * The SETTINGS frame we open with. It carries the stream limit, when there is one, so that a client
 * knows it from the server's first frame (as with grpc-go) rather than only from node:http2's SETTINGS
 * after the hand-over, by which time it may have opened more streams than allowed.
 */
function prefaceSettings(maxConcurrentStreams: number | undefined): Buffer {
  if (maxConcurrentStreams === undefined) return Buffer.from([0, 0, 0, SETTINGS, 0, 0, 0, 0, 0]);
  const f = Buffer.from([0, 0, 6, SETTINGS, 0, 0, 0, 0, 0, 0, SETTINGS_MAX_CONCURRENT_STREAMS, 0, 0, 0, 0]);
  f.writeUInt32BE(maxConcurrentStreams, 11);
  return f;
}

/** What nghttp2 accepts in :authority (RFC 3986 authority characters). */
const GOOD_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:%@[\]]*$/;

/** "http://host:port/x" -> "host:port": what grpc-go's server makes of such an authority too. */
export function authorityOf(value: string): string {
  const noScheme = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = noScheme.search(/[/?#]/);
  return slash < 0 ? noScheme : noScheme.slice(0, slash);
}

interface Frame {
  type: number;
  flags: number;
  stream: number;
  start: number;
  end: number;
}

function frameAt(buf: Buffer, at: number): Frame | undefined {
  if (buf.length - at < FRAME_HEADER) return undefined;
  const len = buf.readUIntBE(at, 3);
  if (buf.length - at < FRAME_HEADER + len) return undefined;
  return {
    type: buf[at + 3],
    flags: buf[at + 4],
    stream: buf.readUInt32BE(at + 5) & 0x7fffffff,
    start: at,
    end: at + FRAME_HEADER + len,
  };
}

/** The header block fragment of a HEADERS or CONTINUATION frame, without padding and priority. */
function fragment(buf: Buffer, f: Frame): Buffer {
  let from = f.start + FRAME_HEADER;
  let to = f.end;
  if (f.type === HEADERS) {
    if (f.flags & PADDED) to -= buf[from++];
    if (f.flags & PRIORITY) from += 5;
  }
  return buf.subarray(from, Math.max(from, to));
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** A header block as HEADERS (+ CONTINUATION) frames of at most MAX_FRAME bytes each. */
function headerFrames(stream: number, endStream: boolean, block: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at === 0 || at < block.length; at += MAX_FRAME) {
    const part = block.subarray(at, at + MAX_FRAME);
    const last = at + MAX_FRAME >= block.length;
    const type = at === 0 ? HEADERS : CONTINUATION;
    const flags = (last ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
    out.push(frame(type, flags, stream, part));
  }
  return out;
}

/**
 * Rewrites the client-to-server byte stream (after the preface) frame by frame: header blocks are
 * decoded with the client's HPACK state and re-encoded as literals with a host:port authority.
 */
class AuthorityFilter {
  private readonly hpack = new HpackDecoder();
  private pending = Buffer.alloc(0);
  private block: Buffer[] = [];
  private blockStart?: Frame;

  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    for (let f = frameAt(buf, at); f; f = frameAt(buf, at)) {
      at = f.end;
      if (f.type === HEADERS || (f.type === CONTINUATION && this.blockStart)) {
        this.blockStart ??= f;
        this.block.push(fragment(buf, f));
        if (f.flags & END_HEADERS) {
          const first = this.blockStart;
          const fields = this.hpack.decode(Buffer.concat(this.block));
          for (const field of fields) if (field[0] === ':authority') field[1] = authorityOf(field[1]);
          out.push(
            ...headerFrames(first.stream, (first.flags & END_STREAM) !== 0, encodeLiteralBlock(fields)),
          );
          this.block = [];
          this.blockStart = undefined;
        }
      } else {
        out.push(buf.subarray(f.start, f.end));
      }
    }
    this.pending = Buffer.from(buf.subarray(at));
    return out;
  }
}

/** Presents `socket` to node:http2 with every client frame passed through an AuthorityFilter. */
function filtered(socket: net.Socket, head: Buffer): Duplex {
  const filter = new AuthorityFilter();
  const onData = (chunk: Buffer) => {
    let ok = true;
    try {
      for (const b of filter.push(chunk)) ok = wrapped.push(b) && ok;
    } catch {
      socket.destroy();
      return;
    }
    if (!ok) socket.pause();
  };
  const wrapped = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', onData);
  socket.on('end', () => wrapped.push(null));
  socket.on('close', () => wrapped.destroy());
  wrapped.push(head.subarray(0, PREFACE_LENGTH));
  onData(head.subarray(PREFACE_LENGTH));
  return wrapped;
}

/**
 * Takes an accepted socket whose first bytes (`first`, at least the preface) are HTTP/2 and hands it to
 * `h2` once its first request shows whether node:http2 can take its :authority.
 */
export function routeHttp2(
  socket: net.Socket,
  first: Buffer,
  h2: http2.Http2Server,
  onDone: () => void,
  maxConcurrentStreams?: number,
): void {
  let buf = first;
  let ackSeen = false;
  let done = false;
  let idle: NodeJS.Timeout | undefined;
  socket.write(prefaceSettings(maxConcurrentStreams));

  const handOver = (authority: string | undefined) => {
    done = true;
    clearTimeout(idle);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    onDone();
    if (authority !== undefined && !GOOD_AUTHORITY.test(authority)) {
      h2.emit('connection', filtered(socket, buf));
      return;
    }
    // node:http2 reads what is buffered on the socket when it takes it over.
    socket.pause();
    socket.unshift(buf);
    h2.emit('connection', socket);
  };

  /** Scans the frames in; drops our SETTINGS' acknowledgement; returns the first request's authority. */
  const scan = (): { complete: boolean; authority?: string } => {
    const blocks: Buffer[] = [];
    let authority: string | undefined;
    let at = PREFACE_LENGTH;
    for (let f = frameAt(buf, at); f; f = frameAt(buf, at)) {
      if (f.type === SETTINGS && f.flags & ACK && !ackSeen) {
        ackSeen = true;
        buf = Buffer.concat([buf.subarray(0, f.start), buf.subarray(f.end)]);
        continue;
      }
      at = f.end;
      if (authority === undefined && (f.type === HEADERS || (f.type === CONTINUATION && blocks.length > 0))) {
        blocks.push(fragment(buf, f));
        if (f.flags & END_HEADERS) {
          // the connection's first block: the decoder starts, as the server's will, from an empty table
          const fields = new HpackDecoder().decode(Buffer.concat(blocks));
          authority = fields.find(([n]) => n === ':authority')?.[1] ?? '';
        }
      }
    }
    return { complete: ackSeen && authority !== undefined, authority };
  };

  const step = () => {
    if (done) return;
    let r: { complete: boolean; authority?: string };
    try {
      r = scan();
    } catch {
      // not HTTP/2 we can read: node:http2 answers it with the right protocol error
      handOver(undefined);
      return;
    }
    if (r.complete) handOver(r.authority);
    else if (ackSeen && !idle) idle = setTimeout(() => handOver(undefined), IDLE_HANDOVER_MS);
  };
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    step();
  };
  const onClose = () => {
    done = true;
    clearTimeout(idle);
    onDone();
  };
  socket.on('data', onData);
  socket.on('close', onClose);
  step();
}

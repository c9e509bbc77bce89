// gRPC over HTTP/2 wire details that are pure functions: the 5-byte message prefix, grpc-timeout,
// the percent-encoding of grpc-message, and the reassembly of length-prefixed messages from DATA chunks.
import { gunzipSync } from 'node:zlib';
import { EtcdError, GrpcCode } from '../errors';

/** Prefixes an encoded message with gRPC's 5-byte header (flag 0 = uncompressed, 4-byte big-endian length). */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3600000, M: 60000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout ("100m", "5S", ...) in milliseconds; -1 when absent, -2 when malformed. */
export function parseGrpcTimeout(v: string | undefined): number {
  if (v === undefined) return -1;
  const n = v.length;
  if (n < 2 || n > 9) return -2;
  const unit = TIMEOUT_UNITS[v[n - 1]!];
  if (unit === undefined) return -2;
  const digits = v.slice(0, n - 1);
  if (!/^[0-9]+$/.test(digits)) return -2;
  return Number(digits) * unit;
}

/** grpc-message is percent-encoded UTF-8: bytes outside printable ASCII, and '%' itself, become %XX. */
export function encodeGrpcMessage(msg: string): string {
  let plain = true;
  for (let i = 0; i < msg.length; i++) {
    const c = msg.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return msg;
  const bytes = Buffer.from(msg, 'utf8');
  let out = '';
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e || b === 0x25) out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Inverse of encodeGrpcMessage (lenient: a malformed escape is kept as is, as grpc-go does). */
export function decodeGrpcMessage(msg: string): string {
  if (!msg.includes('%')) return msg;
  const bytes: number[] = [];
  for (let i = 0; i < msg.length; i++) {
    const c = msg.charCodeAt(i);
    if (c === 0x25 && i + 2 < msg.length && /^[0-9a-fA-F]{2}$/.test(msg.slice(i + 1, i + 3))) {
      bytes.push(parseInt(msg.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Reassembles length-prefixed messages from a stream of DATA chunks without copying when a chunk
 * holds whole messages (the common case for small unary requests).
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Length of the message being assembled, or -1 while its header is incomplete. */
  private need = -1;
  private compressed = false;

  constructor(
    private readonly maxLength: number,
    private readonly encoding: string | undefined,
  ) {}

  /** Feeds one chunk; calls `onMessage` for each complete message. Throws EtcdError on a protocol error. */
  push(chunk: Buffer, onMessage: (msg: Uint8Array, ctx: any) => void, ctx: any): void {
    if (this.pendingLen === 0) {
      // Fast path: parse straight out of the chunk.
      let off = 0;
      const n = chunk.length;
      while (n - off >= 5) {
        const len = chunk.readUInt32BE(off + 1);
        this.check(chunk[off]!, len);
        if (n - off - 5 < len) break;
        const msg = chunk.subarray(off + 5, off + 5 + len);
        onMessage(chunk[off] === 1 ? this.inflate(msg) : msg, ctx);
        off += 5 + len;
      }
      if (off === n) return;
      chunk = off === 0 ? chunk : chunk.subarray(off);
    }
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.pendingLen < 5) return;
        const head = this.take(5);
        const len = head.readUInt32BE(1);
        this.check(head[0]!, len);
        this.compressed = head[0] === 1;
        this.need = len;
      }
      if (this.pendingLen < this.need) return;
      const msg = this.take(this.need);
      this.need = -1;
      onMessage(this.compressed ? this.inflate(msg) : msg, ctx);
    }
  }

  /** True when no partial message is buffered (a clean end of stream). */
  get idle(): boolean {
    return this.pendingLen === 0 && this.need < 0;
  }

  private check(flag: number, len: number): void {
    if (flag > 1) throw new EtcdError(GrpcCode.INTERNAL, `grpc: invalid compression flag ${flag}`);
    if (flag === 1 && (this.encoding === undefined || this.encoding === 'identity')) {
      throw new EtcdError(GrpcCode.INTERNAL, 'grpc: compressed flag set with identity or empty encoding');
    }
    if (len > this.maxLength) {
      throw new EtcdError(
        GrpcCode.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${len} vs. ${this.maxLength})`,
      );
    }
  }

  private inflate(msg: Uint8Array): Uint8Array {
    let out: Buffer;
    try {
      out = gunzipSync(msg, { maxOutputLength: this.maxLength + 1 });
    } catch (e) {
      if ((e as any)?.code === 'ERR_BUFFER_TOO_LARGE') {
        throw new EtcdError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `grpc: received message after decompression larger than max (${this.maxLength + 1} vs. ${this.maxLength})`,
        );
      }
      throw new EtcdError(
        GrpcCode.INTERNAL,
        `grpc: failed to decompress the received message: ${(e as Error).message}`,
      );
    }
    if (out.length > this.maxLength) {
      throw new EtcdError(
        GrpcCode.RESOURCE_EXHAUSTED,
        `grpc: received message after decompression larger than max (${out.length} vs. ${this.maxLength})`,
      );
    }
    return out;
  }

  private take(n: number): Buffer {
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const b = this.pending[0]!;
        const k = Math.min(b.length, n - off);
        b.copy(out, off, 0, k);
        off += k;
        if (k === b.length) this.pending.shift();
        else this.pending[0] = b.subarray(k);
      }
    }
    this.pendingLen -= n;
    return out;
  }
}

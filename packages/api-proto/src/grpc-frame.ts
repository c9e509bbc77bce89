// gRPC's length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length, payload),
// for a front end that speaks gRPC over node:http2 directly instead of through grpc-js.

/** Frames one serialized message for a gRPC DATA stream (uncompressed). */
export function frameMessage(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.byteLength);
  out[0] = 0;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, 5);
  return out;
}

export class GrpcFrameError extends Error {
  constructor(
    message: string,
    /** The gRPC status to answer with (RESOURCE_EXHAUSTED for size, UNIMPLEMENTED for compression). */
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * Splits the DATA chunks of one gRPC stream back into messages. Chunks may cut anywhere; `push` returns
 * the messages completed by each chunk, in order.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxMessageBytes = 4 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Buffer[] = [];
    while (this.pendingBytes >= 5) {
      const head = this.peek(5);
      if (head[0] !== 0) throw new GrpcFrameError('compressed gRPC messages are not supported', 12);
      const len = head.readUInt32BE(1);
      if (len > this.maxMessageBytes) {
        throw new GrpcFrameError(
          `grpc: received message larger than max (${len} vs. ${this.maxMessageBytes})`,
          8,
        );
      }
      if (this.pendingBytes < 5 + len) break;
      out.push(this.take(5 + len).subarray(5));
    }
    return out;
  }

  /** Bytes of an incomplete message still waiting for more data (non-zero at end of stream is an error). */
  get buffered(): number {
    return this.pendingBytes;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!;
    const joined = Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const taken = first.subarray(0, n);
    const rest = first.subarray(n);
    this.pending[0] = rest;
    if (rest.length === 0) this.pending.shift();
    this.pendingBytes -= n;
    return taken;
  }
}

// Peer connections carry length-prefixed frames: | u32 length of (type + body) | u8 type | body |.
export const FrameType = {
  /** Client -> server, first frame: who is calling and in which cluster. */
  Hello: 1,
  /** Server -> client: the hello was accepted. */
  Welcome: 2,
  /** Server -> client: refused, body is the reason as UTF-8; the connection closes. */
  Reject: 3,
  /** One raft message (the raft codec's bytes). */
  Message: 4,
  /** Snapshot stream: a file begins (body: u64 size + UTF-8 name). */
  FileBegin: 5,
  /** Snapshot stream: bytes of the current file. */
  FileChunk: 6,
  /** Snapshot stream: all files sent; the receiver acknowledges with SnapshotDone. */
  SnapshotEnd: 7,
  SnapshotDone: 8,
  /** A request a follower forwards to the leader: u32 call id, u8 method name length, name, body. */
  RpcRequest: 9,
  /** The answer: u32 call id, u8 status (0 ok, 1 error as JSON {code, message}), body. */
  RpcResponse: 10,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const MAX_FRAME_BYTES = 128 * 1024 * 1024;

export function encodeFrame(type: FrameType, body: Uint8Array): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(body.length + 1, 0);
  head.writeUInt8(type, 4);
  return [head, Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

export interface Frame {
  type: number;
  body: Buffer;
}

/** Splits a byte stream into frames; feed it socket chunks as they come. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.buffered < 5) break;
      const head = this.peek(5);
      const len = head.readUInt32LE(0);
      if (len === 0 || len > MAX_FRAME_BYTES) throw new Error(`peer frame of ${len} bytes is invalid`);
      if (this.buffered < 4 + len) break;
      const whole = this.take(4 + len);
      out.push({ type: whole[4]!, body: whole.subarray(5) });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

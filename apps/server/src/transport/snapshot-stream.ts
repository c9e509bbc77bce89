import { createReadStream, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { encodeFrame, type Frame, FrameType } from './frame.js';

export interface SnapshotFile {
  /** Path relative to the snapshot directory (no '..'). */
  name: string;
  /** Where the sender reads it from. */
  path: string;
}

const CHUNK_BYTES = 1024 * 1024;

function writeWithBackpressure(socket: Socket, parts: Buffer[]): Promise<void> {
  const ok = socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  if (ok) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      socket.off('drain', onDrain);
      reject(new Error('snapshot connection closed'));
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** Streams the raft snapshot message and then each file over an established snapshot connection. */
export async function streamSnapshot(
  socket: Socket,
  message: Uint8Array,
  files: SnapshotFile[],
): Promise<void> {
  await writeWithBackpressure(socket, encodeFrame(FrameType.Message, message));
  for (const file of files) {
    const size = statSync(file.path).size;
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(size), 0);
    await writeWithBackpressure(
      socket,
      encodeFrame(FrameType.FileBegin, Buffer.concat([head, Buffer.from(file.name, 'utf8')])),
    );
    for await (const chunk of createReadStream(file.path, { highWaterMark: CHUNK_BYTES })) {
      await writeWithBackpressure(socket, encodeFrame(FrameType.FileChunk, chunk as Buffer));
    }
  }
  await writeWithBackpressure(socket, encodeFrame(FrameType.SnapshotEnd, Buffer.alloc(0)));
}

/** Receives a snapshot stream into `dir`; `finish` runs once everything has arrived. */
export class SnapshotReceiver {
  message: Buffer | undefined;
  private out: WriteStream | undefined;
  private pending: Promise<void> = Promise.resolve();
  done = false;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Returns true when the SnapshotEnd frame arrived. */
  onFrame(f: Frame): boolean {
    switch (f.type) {
      case FrameType.Message:
        this.message = Buffer.from(f.body);
        return false;
      case FrameType.FileBegin: {
        const name = f.body.subarray(8).toString('utf8');
        const rel = normalize(name);
        if (rel.startsWith('..') || rel.startsWith('/')) throw new Error(`bad snapshot file name ${name}`);
        const path = join(this.dir, rel);
        this.closeCurrent();
        mkdirSync(dirname(path), { recursive: true });
        this.out = createWriteStream(path);
        return false;
      }
      case FrameType.FileChunk: {
        if (!this.out) throw new Error('snapshot chunk before file');
        const out = this.out;
        const data = Buffer.from(f.body);
        this.pending = this.pending.then(
          () => new Promise<void>((res, rej) => out.write(data, (err) => (err ? rej(err) : res()))),
        );
        return false;
      }
      case FrameType.SnapshotEnd:
        this.closeCurrent();
        this.done = true;
        return true;
      default:
        throw new Error(`unexpected frame ${f.type} in a snapshot stream`);
    }
  }

  /** Resolves when every received byte is on disk. */
  flushed(): Promise<void> {
    return this.pending;
  }

  private closeCurrent(): void {
    if (!this.out) return;
    const out = this.out;
    this.out = undefined;
    this.pending = this.pending.then(() => new Promise<void>((res) => out.end(res)));
  }
}

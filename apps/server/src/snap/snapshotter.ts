import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

// Raft snapshot files: <term>-<index>.snap (16 hex digits each), holding | u32 crc | snapshot bytes |.
// The state itself lives in RocksDB; these files keep what raft needs to restart from the snapshot
// (index, term, membership) so the WAL before it can be released.
export interface SnapshotName {
  term: number;
  index: number;
  name: string;
}

function parseName(name: string): SnapshotName | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (!m) return undefined;
  return { term: Number.parseInt(m[1]!, 16), index: Number.parseInt(m[2]!, 16), name };
}

const hex = (n: number) => n.toString(16).padStart(16, '0');

export class Snapshotter {
  constructor(
    readonly dir: string,
    /** Snapshot files kept (0: all). */
    private readonly maxSnapshots = 5,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes the snapshot durably (temp file, fsync, rename), then drops the oldest beyond the limit. */
  save(term: number, index: number, bytes: Uint8Array): void {
    const name = `${hex(term)}-${hex(index)}.snap`;
    const tmp = join(this.dir, `${name}.tmp`);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(crc32(bytes), 0);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, head);
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    const dfd = openSync(this.dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
    this.purge();
  }

  /** The newest snapshot whose CRC checks out; damaged files are renamed *.broken and skipped. */
  loadNewest(): { term: number; index: number; bytes: Buffer } | undefined {
    for (const s of this.list().reverse()) {
      const path = join(this.dir, s.name);
      const buf = readFileSync(path);
      if (buf.length >= 4 && crc32(buf.subarray(4)) === buf.readUInt32LE(0)) {
        return { term: s.term, index: s.index, bytes: buf.subarray(4) };
      }
      renameSync(path, `${path}.broken`);
    }
    return undefined;
  }

  list(): SnapshotName[] {
    if (!existsSync(this.dir)) return [];
    const out = readdirSync(this.dir)
      .map(parseName)
      .filter((s): s is SnapshotName => s !== undefined);
    out.sort((a, b) => a.index - b.index || a.term - b.term);
    return out;
  }

  private purge(): void {
    if (this.maxSnapshots <= 0) return;
    const all = this.list();
    for (const s of all.slice(0, Math.max(0, all.length - this.maxSnapshots)))
      unlinkSync(join(this.dir, s.name));
  }
}

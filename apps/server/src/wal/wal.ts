import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crcPayload, decodeRecord, encodeRecord, RecordType } from './record.js';
import { parseSegmentName, segmentName } from './segment-name.js';

/** How the WAL turns raft's entries and hard state into bytes; the WAL itself only needs an entry's index. */
export interface WalCodec<E, S> {
  encodeEntry(e: E): Uint8Array;
  decodeEntry(b: Uint8Array): E;
  entryIndex(e: E): number;
  encodeState(s: S): Uint8Array;
  decodeState(b: Uint8Array): S;
}

export interface WalSnapshot {
  index: number;
  term: number;
}

export interface WalOptions {
  /** A segment is closed and a new one started once it grows past this. */
  segmentBytes?: number;
  /** Called with each fdatasync's duration in seconds and the bytes written since the previous one (metrics). */
  onSync?: (seconds: number, bytes: number) => void;
}

export interface WalContents<E, S> {
  metadata: Buffer;
  state: S | undefined;
  /** Entries after the snapshot, in index order, later writes of an index replacing earlier ones. */
  entries: E[];
  /** Bytes of a torn tail that were cut off (0 when the log ended cleanly). */
  truncatedBytes: number;
}

export class WalCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalCorruptError';
  }
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

interface Segment {
  seq: number;
  firstIndex: number;
  name: string;
}

function listSegments(dir: string): Segment[] {
  const out: Segment[] = [];
  for (const name of readdirSync(dir)) {
    const p = parseSegmentName(name);
    if (p) out.push({ ...p, name });
  }
  out.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.seq !== out[i - 1]!.seq + 1) {
      throw new WalCorruptError(`wal: segment ${out[i]!.name} does not follow ${out[i - 1]!.name}`);
    }
  }
  return out;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function snapshotPayload(s: WalSnapshot): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(s.index), 0);
  b.writeBigUInt64LE(BigInt(s.term), 8);
  return b;
}

/**
 * The write-ahead log: raft's entries and hard state, appended to segment files and made durable with one
 * fdatasync per save() (group commit: the caller passes everything one Ready holds).
 */
export class Wal<E, S> {
  private file: FileHandle;
  private fileBytes: number;
  private crc: number;
  private seq: number;
  private lastIndex: number;
  private lastState: S | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly onSync: ((seconds: number, bytes: number) => void) | undefined;
  private unsyncedBytes = 0;

  private constructor(
    readonly dir: string,
    private readonly metadata: Buffer,
    private readonly codec: WalCodec<E, S>,
    file: FileHandle,
    fileBytes: number,
    crc: number,
    seq: number,
    lastIndex: number,
    lastState: S | undefined,
    opts: WalOptions,
  ) {
    this.file = file;
    this.fileBytes = fileBytes;
    this.crc = crc;
    this.seq = seq;
    this.lastIndex = lastIndex;
    this.lastState = lastState;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.onSync = opts.onSync;
  }

  static exists(dir: string): boolean {
    return existsSync(dir) && readdirSync(dir).some((n) => parseSegmentName(n) !== undefined);
  }

  /** Creates a new WAL holding only `metadata`; built in a temporary directory and renamed into place. */
  static async create<E, S>(dir: string, metadata: Uint8Array, codec: WalCodec<E, S>, opts: WalOptions = {}) {
    if (Wal.exists(dir)) throw new Error(`wal: ${dir} already holds a WAL`);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const out: Buffer[] = [];
    let crc = encodeRecord(out, RecordType.Crc, crcPayload(0), 0);
    crc = encodeRecord(out, RecordType.Metadata, metadata, crc);
    crc = encodeRecord(out, RecordType.Snapshot, snapshotPayload({ index: 0, term: 0 }), crc);
    const name = segmentName(0, 0);
    const fh = await open(join(tmp, name), 'w');
    const bytes = Buffer.concat(out);
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.sync();
    await fh.close();
    fsyncDir(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    fsyncDir(join(dir, '..'));
    const file = await open(join(dir, name), 'r+');
    return new Wal<E, S>(dir, Buffer.from(metadata), codec, file, bytes.length, crc, 0, 0, undefined, opts);
  }

  /**
   * Reads everything after `snap` back and opens the last segment for appending. A torn last record is
   * cut off; any other damage refuses with WalCorruptError.
   */
  static async open<E, S>(
    dir: string,
    snap: WalSnapshot,
    codec: WalCodec<E, S>,
    opts: WalOptions = {},
  ): Promise<{ wal: Wal<E, S> } & WalContents<E, S>> {
    let segments = listSegments(dir);
    if (segments.length === 0) throw new WalCorruptError(`wal: no segment files in ${dir}`);
    let metadata: Buffer | undefined;
    let state: S | undefined;
    let entries: E[] = [];
    let snapFound = snap.index === 0;
    let crc = 0;
    let truncatedBytes = 0;
    let tailBytes = 0;
    for (let si = 0; si < segments.length; si++) {
      const seg = segments[si]!;
      const isLast = si === segments.length - 1;
      const path = join(dir, seg.name);
      const buf = readFileSync(path);
      let off = 0;
      let first = true;
      for (;;) {
        const r = decodeRecord(buf, off, crc);
        if (r.kind === 'eof') break;
        if (r.kind === 'torn' || (r.kind === 'crc-mismatch' && r.end >= buf.length)) {
          // Only the end of the newest segment can be half written; elsewhere it is damage.
          if (!isLast) throw new WalCorruptError(`wal: segment ${seg.name} is cut short at offset ${off}`);
          truncatedBytes = buf.length - off;
          truncateSync(path, off);
          break;
        }
        if (r.kind === 'crc-mismatch') {
          throw new WalCorruptError(
            `wal: crc mismatch in ${seg.name} at offset ${off}: the log is corrupted; refusing to start`,
          );
        }
        if (first && r.type !== RecordType.Crc) {
          throw new WalCorruptError(`wal: segment ${seg.name} does not start with a crc record`);
        }
        first = false;
        if (r.type === RecordType.Crc) {
          if (si > 0 && off === 0 && r.crc !== crc) {
            throw new WalCorruptError(`wal: segment ${seg.name} does not continue the previous segment`);
          }
        }
        crc = r.crc;
        off = r.end;
        switch (r.type) {
          case RecordType.Metadata:
            if (metadata && !metadata.equals(r.payload))
              throw new WalCorruptError('wal: conflicting metadata');
            metadata = Buffer.from(r.payload);
            break;
          case RecordType.HardState:
            state = codec.decodeState(r.payload);
            break;
          case RecordType.Snapshot: {
            const index = Number(r.payload.readBigUInt64LE(0));
            const term = Number(r.payload.readBigUInt64LE(8));
            if (index === snap.index) {
              if (term !== snap.term) {
                throw new WalCorruptError(`wal: snapshot at ${index} has term ${term}, want ${snap.term}`);
              }
              snapFound = true;
            }
            break;
          }
          case RecordType.Entry: {
            const e = codec.decodeEntry(r.payload);
            const idx = codec.entryIndex(e);
            if (idx <= snap.index) break;
            const firstIdx = entries.length ? codec.entryIndex(entries[0]!) : snap.index + 1;
            if (idx < firstIdx) {
              // Overwrites entries before anything we kept: restart from it.
              if (idx !== snap.index + 1) throw new WalCorruptError(`wal: entry ${idx} out of order`);
              entries = [];
            } else if (idx - firstIdx < entries.length) {
              entries.length = idx - firstIdx;
            } else if (idx !== firstIdx + entries.length) {
              throw new WalCorruptError(`wal: missing entries before index ${idx}`);
            }
            entries.push(e);
            break;
          }
          case RecordType.Crc:
            break;
          default:
            throw new WalCorruptError(`wal: unknown record type ${r.type} in ${seg.name}`);
        }
      }
      if (isLast) tailBytes = off;
    }
    if (!snapFound) throw new WalCorruptError(`wal: snapshot at index ${snap.index} not found in the log`);
    if (!metadata) throw new WalCorruptError('wal: no metadata record');
    // A crash while starting a segment can leave it empty: drop it and append to the previous one.
    let last = segments[segments.length - 1]!;
    if (tailBytes === 0 && segments.length > 1) {
      unlinkSync(join(dir, last.name));
      segments = segments.slice(0, -1);
      last = segments[segments.length - 1]!;
      tailBytes = statSync(join(dir, last.name)).size;
    }
    const lastIndex = entries.length ? codec.entryIndex(entries[entries.length - 1]!) : snap.index;
    const file = await open(join(dir, last.name), 'r+');
    if (truncatedBytes > 0) await file.sync();
    const wal = new Wal<E, S>(dir, metadata, codec, file, tailBytes, crc, last.seq, lastIndex, state, opts);
    if (tailBytes === 0) await wal.enqueue(() => wal.writeSegmentHeader(0));
    return { wal, metadata, state, entries, truncatedBytes };
  }

  /**
   * Appends the hard state (if any) and entries, then one fdatasync (unless `sync` is false: raft only
   * needs a sync when entries, term or vote change). Resolves when they are written (and durable).
   */
  save(state: S | undefined, entries: readonly E[], sync = true): Promise<void> {
    if (state === undefined && entries.length === 0) return Promise.resolve();
    return this.enqueue(async () => {
      const out: Buffer[] = [];
      let crc = this.crc;
      for (const e of entries) crc = encodeRecord(out, RecordType.Entry, this.codec.encodeEntry(e), crc);
      if (state !== undefined)
        crc = encodeRecord(out, RecordType.HardState, this.codec.encodeState(state), crc);
      await this.writeAndSync(out, crc, sync);
      if (entries.length) this.lastIndex = this.codec.entryIndex(entries[entries.length - 1]!);
      if (state !== undefined) this.lastState = state;
      if (this.fileBytes >= this.segmentBytes) await this.cut();
    });
  }

  /** Records that a snapshot covers everything up to {index, term}. */
  saveSnapshot(snap: WalSnapshot): Promise<void> {
    return this.enqueue(async () => {
      const out: Buffer[] = [];
      const crc = encodeRecord(out, RecordType.Snapshot, snapshotPayload(snap), this.crc);
      await this.writeAndSync(out, crc);
      if (snap.index > this.lastIndex) this.lastIndex = snap.index;
    });
  }

  /** Deletes segments whose entries are all at or below `index` (covered by a snapshot). */
  releaseTo(index: number): Promise<void> {
    return this.enqueue(async () => {
      const segs = listSegments(this.dir);
      let removed = false;
      for (let i = 0; i + 1 < segs.length; i++) {
        if (segs[i + 1]!.firstIndex > index + 1) break;
        unlinkSync(join(this.dir, segs[i]!.name));
        removed = true;
      }
      if (removed) fsyncDir(this.dir);
    });
  }

  segmentCount(): number {
    return listSegments(this.dir).length;
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.file.close();
    });
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const start = async () => {
      try {
        if (this.closed) throw new Error('wal: closed');
        await fn();
      } finally {
        this.queued--;
      }
    };
    // With nothing queued the job starts now, so its write and fsync are under way before the caller's
    // next synchronous work (the raft loop applies earlier entries while the disk syncs).
    const run = this.queued++ === 0 ? start() : this.chain.then(start);
    // A failed write leaves the WAL unusable; later saves fail rather than write after a gap.
    this.chain = run.catch((err) => {
      this.closed = true;
      throw err;
    });
    return run;
  }

  private async writeAndSync(out: Buffer[], crc: number, sync = true): Promise<void> {
    const bytes = out.length === 1 ? out[0]! : Buffer.concat(out);
    // A Ready's records land in the page cache in microseconds: writing them here saves a round trip
    // through libuv's thread pool; only the fdatasync, which waits for the disk, goes there.
    const fd = this.file.fd;
    let done = 0;
    while (done < bytes.length)
      done += writeSync(fd, bytes, done, bytes.length - done, this.fileBytes + done);
    this.unsyncedBytes += bytes.length;
    if (sync) {
      const t0 = performance.now();
      await this.file.datasync();
      this.onSync?.((performance.now() - t0) / 1000, this.unsyncedBytes);
      this.unsyncedBytes = 0;
    }
    this.fileBytes += bytes.length;
    this.crc = crc;
  }

  private async writeSegmentHeader(prevCrc: number): Promise<void> {
    const out: Buffer[] = [];
    let crc = encodeRecord(out, RecordType.Crc, crcPayload(prevCrc), prevCrc);
    crc = encodeRecord(out, RecordType.Metadata, this.metadata, crc);
    if (this.lastState !== undefined) {
      crc = encodeRecord(out, RecordType.HardState, this.codec.encodeState(this.lastState), crc);
    }
    await this.writeAndSync(out, crc);
  }

  /** Starts the next segment; its name records the first index it may hold. */
  private async cut(): Promise<void> {
    const prevCrc = this.crc;
    await this.file.close();
    this.seq += 1;
    const name = segmentName(this.seq, this.lastIndex + 1);
    this.file = await open(join(this.dir, name), 'w+');
    this.fileBytes = 0;
    fsyncDir(this.dir);
    await this.writeSegmentHeader(prevCrc);
  }
}

import { crc32 } from 'node:zlib';

// One WAL record on disk: | u32 length of (type + payload) | u32 crc | u8 type | payload |, little endian.
// The crc is chained: each record's crc starts from the previous record's, so a lost, duplicated or
// reordered record breaks the chain just like a flipped bit does.
export const RecordType = {
  /** The previous segment's last crc; first record of every segment, it restarts the chain. */
  Crc: 1,
  /** Opaque metadata (node and cluster ID) written at the start of every segment. */
  Metadata: 2,
  Entry: 3,
  HardState: 4,
  /** A raft snapshot was taken at {index, term}: entries up to it may be gone. */
  Snapshot: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const HEADER_BYTES = 8;
/** A record longer than this is taken as garbage, not an allocation to attempt. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function recordCrc(type: number, payload: Uint8Array, prevCrc: number): number {
  return crc32(payload, crc32(Buffer.of(type), prevCrc));
}

/** Appends one encoded record to `out` and returns the new running crc. */
export function encodeRecord(out: Buffer[], type: RecordType, payload: Uint8Array, prevCrc: number): number {
  const header = Buffer.allocUnsafe(HEADER_BYTES + 1);
  const crc = type === RecordType.Crc ? recordCrc(type, payload, 0) : recordCrc(type, payload, prevCrc);
  header.writeUInt32LE(payload.length + 1, 0);
  header.writeUInt32LE(crc, 4);
  header.writeUInt8(type, 8);
  out.push(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  return type === RecordType.Crc ? Buffer.from(payload).readUInt32LE(0) : crc;
}

export function crcPayload(prevCrc: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(prevCrc >>> 0, 0);
  return b;
}

export type DecodeResult =
  | { kind: 'record'; type: number; payload: Buffer; end: number; crc: number }
  /** The bytes from `offset` on are not a whole record: a write cut short by a crash. */
  | { kind: 'torn' }
  | { kind: 'crc-mismatch'; end: number }
  | { kind: 'eof' };

/** Reads the record starting at `offset` of a segment's bytes. */
export function decodeRecord(buf: Buffer, offset: number, prevCrc: number): DecodeResult {
  if (offset === buf.length) return { kind: 'eof' };
  if (offset + HEADER_BYTES + 1 > buf.length) return { kind: 'torn' };
  const len = buf.readUInt32LE(offset);
  // A zero length is a block the file system extended but never filled (crash after the size update).
  if (len === 0 || len > MAX_RECORD_BYTES) return { kind: 'torn' };
  const end = offset + HEADER_BYTES + len;
  if (end > buf.length) return { kind: 'torn' };
  const stored = buf.readUInt32LE(offset + 4);
  const type = buf.readUInt8(offset + 8);
  const payload = buf.subarray(offset + 9, end);
  const crc = type === RecordType.Crc ? recordCrc(type, payload, 0) : recordCrc(type, payload, prevCrc);
  if (crc !== stored) return { kind: 'crc-mismatch', end };
  return { kind: 'record', type, payload, end, crc: type === RecordType.Crc ? payload.readUInt32LE(0) : crc };
}

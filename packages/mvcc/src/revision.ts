// A revision names one change: `main` is the store revision of the write txn that made it, `sub`
// orders the changes inside that txn. Both fit in a JS number (safe to 2^53).
export interface Revision {
  main: number;
  sub: number;
}

/** Bytes of a revision as stored in RocksDB: big-endian so byte order is revision order. */
export const REVISION_BYTES = 16;

export function compareRevision(a: Revision, b: Revision): number {
  if (a.main !== b.main) return a.main < b.main ? -1 : 1;
  if (a.sub !== b.sub) return a.sub < b.sub ? -1 : 1;
  return 0;
}

/** a > b */
export function revisionGreater(a: Revision, b: Revision): boolean {
  return a.main > b.main || (a.main === b.main && a.sub > b.sub);
}

export function encodeRevision(main: number, sub: number): Buffer {
  const b = Buffer.allocUnsafe(REVISION_BYTES);
  writeU64(b, 0, main);
  writeU64(b, 8, sub);
  return b;
}

export function decodeRevision(b: Uint8Array, offset = 0): Revision {
  return { main: readU64(b, offset), sub: readU64(b, offset + 8) };
}

/** Only the main part, cheaper when the sub revision is not needed. */
export function decodeMain(b: Uint8Array): number {
  return readU64(b, 0);
}

// Two 32-bit halves instead of BigInt keep the hot write path free of BigInt allocations.
function writeU64(b: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  b.writeUInt32BE(hi >>> 0, off);
  b.writeUInt32BE(v >>> 0, off + 4);
}

export function readU64(b: Uint8Array, off: number): number {
  const hi = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
  const lo = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  return hi * 0x100000000 + lo;
}

import {
  decodeEntry,
  decodeHardState,
  type Entry,
  encodeEntry,
  encodeHardState,
  type HardState,
} from '@kv/raft';
import type { WalCodec } from '../wal/wal.js';

export const raftWalCodec: WalCodec<Entry, HardState> = {
  encodeEntry,
  decodeEntry,
  entryIndex: (e) => e.index,
  encodeState: encodeHardState,
  decodeState: decodeHardState,
};

/** The WAL's metadata record: which member wrote it and for which cluster. */
export function encodeWalMetadata(nodeId: bigint, clusterId: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(nodeId, 0);
  b.writeBigUInt64LE(clusterId, 8);
  return b;
}

export function decodeWalMetadata(b: Buffer): { nodeId: bigint; clusterId: bigint } {
  if (b.length < 16) throw new Error('wal: metadata record is too short');
  return { nodeId: b.readBigUInt64LE(0), clusterId: b.readBigUInt64LE(8) };
}

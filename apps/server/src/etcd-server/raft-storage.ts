import { join } from 'node:path';
import { decodeSnapshot, type Entry, type HardState, MemoryStorage, type Snapshot } from '@kv/raft';
import { decodeWalMetadata, encodeWalMetadata, raftWalCodec } from '../raft-node/wal-codec.js';
import { Snapshotter } from '../snap/snapshotter.js';
import { Wal } from '../wal/wal.js';

export interface MemberPaths {
  memberDir: string;
  walDir: string;
  snapDir: string;
  /** The RocksDB directory holding mvcc, leases, members and the consistent index. */
  dbDir: string;
}

export function memberPaths(dataDir: string, walDir: string): MemberPaths {
  const memberDir = join(dataDir, 'member');
  return {
    memberDir,
    walDir: walDir || join(memberDir, 'wal'),
    snapDir: join(memberDir, 'snap'),
    dbDir: join(memberDir, 'db'),
  };
}

export interface RaftStorage {
  wal: Wal<Entry, HardState>;
  storage: MemoryStorage;
  snapshotter: Snapshotter;
  nodeId: bigint;
  clusterId: bigint;
  /** True when the WAL was just created: the member has never run. */
  fresh: boolean;
  snapshot: Snapshot | undefined;
  /** Bytes cut off a torn WAL tail. */
  truncatedBytes: number;
}

/**
 * Opens (or creates) what raft restarts from: the newest snapshot file, then the WAL after it, loaded into
 * an in-memory raft log, as etcd's restartNode does.
 */
export async function openRaftStorage(
  paths: MemberPaths,
  ids: { nodeId: bigint; clusterId: bigint },
  maxSnapshots: number,
  walSegmentBytes?: number,
  onSync?: (seconds: number, bytes: number) => void,
): Promise<RaftStorage> {
  const snapshotter = new Snapshotter(paths.snapDir, maxSnapshots);
  const storage = new MemoryStorage();
  if (!Wal.exists(paths.walDir)) {
    const wal = await Wal.create(paths.walDir, encodeWalMetadata(ids.nodeId, ids.clusterId), raftWalCodec, {
      segmentBytes: walSegmentBytes,
      onSync,
    });
    return { wal, storage, snapshotter, ...ids, fresh: true, snapshot: undefined, truncatedBytes: 0 };
  }
  const saved = snapshotter.loadNewest();
  const snapshot = saved ? decodeSnapshot(saved.bytes) : undefined;
  const walSnap = snapshot
    ? { index: snapshot.metadata.index, term: snapshot.metadata.term }
    : { index: 0, term: 0 };
  const r = await Wal.open(paths.walDir, walSnap, raftWalCodec, { segmentBytes: walSegmentBytes, onSync });
  const meta = decodeWalMetadata(r.metadata);
  if (snapshot) storage.applySnapshot(snapshot);
  if (r.state) storage.setHardState(r.state);
  if (r.entries.length > 0) storage.append(r.entries);
  return {
    wal: r.wal,
    storage,
    snapshotter,
    nodeId: meta.nodeId,
    clusterId: meta.clusterId,
    fresh: false,
    snapshot,
    truncatedBytes: r.truncatedBytes,
  };
}

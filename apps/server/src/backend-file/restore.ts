// `etcdctl snapshot restore` for this server: a member data dir for a NEW cluster, built from an etcd
// snapshot file (bbolt + sha256 trailer, from etcd or from us). As etcd's restore: the keys, leases,
// compaction and auth data come from the file; the members come from --initial-cluster; raft starts at
// index = number of members, term 1, with a snapshot there (so the server starts from it without replaying
// the bootstrap), and the consistent index is that same index.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { BoltReader } from '@kv/bbolt';
import { Backend } from '@kv/mvcc';
import { encodeSnapshot } from '@kv/raft';
import { parseInitialCluster } from '../config/initial-cluster.js';
import { memberPaths } from '../etcd-server/raft-storage.js';
import { RaftCluster } from '../membership/cluster.js';
import { encodeWalMetadata, raftWalCodec } from '../raft-node/wal-codec.js';
import { Snapshotter } from '../snap/snapshotter.js';
import { Wal } from '../wal/wal.js';
import { loadBoltIntoBackend } from './bolt-import.js';

export interface RestoreOptions {
  /** The snapshot file. */
  snapshotPath: string;
  name: string;
  /** --initial-cluster text: name=url,... */
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string[];
  dataDir: string;
  /** '' = <data-dir>/member/wal */
  walDir?: string;
  skipHashCheck?: boolean;
  /** Progress lines (etcdctl logs them as etcd's zap logger does). */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface RestoreResult {
  clusterId: bigint;
  memberId: bigint;
  members: Array<{ id: bigint; name: string; peerUrls: string[] }>;
  /** The raft index (and consistent index) the new cluster starts at. */
  index: number;
  revision: number;
  keys: number;
  leases: number;
}

/** A failure etcdctl reports as `Error: <message>`. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

const HASH_BYTES = 32;

export async function restoreSnapshot(o: RestoreOptions): Promise<RestoreResult> {
  const log = o.log ?? (() => {});
  let initial: RaftCluster;
  try {
    initial = RaftCluster.fromInitial(parseInitialCluster(o.initialCluster), o.initialClusterToken, o.name);
  } catch (err) {
    throw new RestoreError((err as Error).message);
  }
  if (initial.localId === 0n)
    throw new RestoreError(
      `couldn't find local name ${JSON.stringify(o.name)} in the initial cluster configuration`,
    );
  const own = initial.member(initial.localId)!;
  const advertised = [...o.initialAdvertisePeerUrls].sort();
  if (advertised.join(',') !== own.peerUrls.join(',')) {
    const urls = own.peerUrls.map((u) => `${o.name}=${u}`).join(',');
    throw new RestoreError(
      `--initial-cluster has ${urls} but missing from --initial-advertise-peer-urls=${advertised.join(',')} (resolved urls: ${JSON.stringify(advertised.join(','))} != ${JSON.stringify(own.peerUrls.join(','))})`,
    );
  }
  if (existsSync(o.dataDir)) throw new RestoreError(`data-dir ${JSON.stringify(o.dataDir)} exists`);
  const paths = memberPaths(o.dataDir, o.walDir ?? '');
  log('restoring snapshot', {
    path: o.snapshotPath,
    'wal-dir': paths.walDir,
    'data-dir': o.dataDir,
    'snap-dir': paths.snapDir,
  });
  checkHash(o.snapshotPath, o.skipHashCheck === true);

  const members = initial.sortedMembers();
  const index = members.length;
  try {
    const db = BoltReader.open(o.snapshotPath);
    let backend: Backend | undefined;
    let loaded: ReturnType<typeof loadBoltIntoBackend>;
    try {
      backend = await Backend.open(paths.dbDir);
      loaded = loadBoltIntoBackend(db, backend, index);
      if (loaded.compactRevision > 0) {
        log('restored last compact revision', {
          'meta-bucket-name': 'meta',
          'meta-bucket-name-key': 'finishedCompactRev',
          'restored-compact-revision': loaded.compactRevision,
        });
      }
      backend
        .namespace('members')
        .put(Buffer.from('cluster'), Buffer.from(JSON.stringify(initial.toJson()), 'utf8'));
      backend.commit();
    } finally {
      db.close();
      await backend?.close();
    }
    for (const m of members) {
      log('added member', {
        'cluster-id': initial.clusterId.toString(16),
        'local-member-id': '0',
        'added-peer-id': m.id.toString(16),
        'added-peer-peer-urls': m.peerUrls,
      });
    }

    // raft: a snapshot at {index, term 1} holding the membership, and a WAL that starts there
    const confState = {
      voters: members.map((m) => m.id),
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    const snap = encodeSnapshot({
      data: Buffer.from(JSON.stringify(initial.toJson()), 'utf8'),
      metadata: { index, term: 1, confState },
    });
    new Snapshotter(paths.snapDir, 0).save(1, index, snap);
    const wal = await Wal.create(
      paths.walDir,
      encodeWalMetadata(initial.localId, initial.clusterId),
      raftWalCodec,
    );
    try {
      await wal.saveSnapshot({ index, term: 1 });
      await wal.save({ term: 1, vote: 0n, commit: index }, []);
    } finally {
      await wal.close();
    }
    log('restored snapshot', {
      path: o.snapshotPath,
      'wal-dir': paths.walDir,
      'data-dir': o.dataDir,
      'snap-dir': paths.snapDir,
    });
    return {
      clusterId: initial.clusterId,
      memberId: initial.localId,
      members: members.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls })),
      index,
      revision: loaded.revision,
      keys: loaded.keys,
      leases: loaded.leases,
    };
  } catch (err) {
    // leave nothing half made: a later restore into the same dir must not find it "exists"
    rmSync(o.dataDir, { recursive: true, force: true });
    if (o.walDir) rmSync(o.walDir, { recursive: true, force: true });
    throw err;
  }
}

/** etcd appends the sha256 of the db to the file it sends: size % 512 == 32 tells that it is there. */
function checkHash(path: string, skip: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new RestoreError(`open ${path}: no such file or directory`);
    throw new RestoreError((err as Error).message);
  }
  try {
    const size = fstatSync(fd).size;
    const hasHash = size % 512 === HASH_BYTES;
    if (!hasHash) {
      if (!skip) throw new RestoreError('snapshot missing hash but --skip-hash-check=false');
      return;
    }
    if (skip) return;
    const h = createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    let off = 0;
    const end = size - HASH_BYTES;
    while (off < end) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - off), off);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      off += n;
    }
    const want = Buffer.alloc(HASH_BYTES);
    readSync(fd, want, 0, HASH_BYTES, end);
    const got = h.digest();
    if (!got.equals(want))
      throw new RestoreError(`expected sha256 [${[...want].join(' ')}], got [${[...got].join(' ')}]`);
  } finally {
    closeSync(fd);
  }
}

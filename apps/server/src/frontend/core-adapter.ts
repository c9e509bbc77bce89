// Bridges the core's EtcdServer to EtcdServerApi where their shapes still differ (keep-alive by lease ID,
// mvcc's pull-style WatchStream, snapshot to a file, no-argument maintenance calls). A core that already
// implements EtcdServerApi is used as it is.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type etcdserverpb, type mvccpb, toInt64, toLong } from '@kv/api-proto';
import type { EtcdServerApi, WatchCreate, WatchSink, WatchStream } from '../server-api';

const SNAPSHOT_CHUNK = 32 * 1024;

function implementsApi(core: any): core is EtcdServerApi {
  return (
    typeof core.watchStream === 'function' &&
    typeof core.leader === 'function' &&
    typeof core.snapshot === 'function'
  );
}

/** The core as the front end calls it. */
export function asServerApi(core: any): EtcdServerApi {
  return implementsApi(core) ? core : new CoreAdapter(core);
}

interface MvccKeyValue {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  lease: bigint;
}

function kvToPb(kv: MvccKeyValue | undefined): mvccpb.IKeyValue | undefined {
  if (kv === undefined) return undefined;
  return {
    key: kv.key,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease === 0n ? 0 : toLong(kv.lease),
  };
}

class CoreAdapter implements EtcdServerApi {
  constructor(private readonly core: any) {}

  range(req: etcdserverpb.RangeRequest) {
    return this.core.range(req);
  }
  put(req: etcdserverpb.PutRequest) {
    return this.core.put(req);
  }
  deleteRange(req: etcdserverpb.DeleteRangeRequest) {
    return this.core.deleteRange(req);
  }
  txn(req: etcdserverpb.TxnRequest) {
    return this.core.txn(req);
  }
  compact(req: etcdserverpb.CompactionRequest) {
    return this.core.compact(req);
  }
  leaseGrant(req: etcdserverpb.LeaseGrantRequest) {
    return this.core.leaseGrant(req);
  }
  leaseRevoke(req: etcdserverpb.LeaseRevokeRequest) {
    return this.core.leaseRevoke(req);
  }
  async leaseRenew(req: etcdserverpb.LeaseKeepAliveRequest): Promise<etcdserverpb.ILeaseKeepAliveResponse> {
    const id = toInt64(req.ID);
    const ttl: number = await this.core.leaseRenew(id);
    return { header: this.core.header(), ID: toLong(id), TTL: ttl };
  }
  leaseTimeToLive(req: etcdserverpb.LeaseTimeToLiveRequest) {
    return this.core.leaseTimeToLive(req);
  }
  leaseLeases(req: etcdserverpb.LeaseLeasesRequest) {
    return this.core.leaseLeases(req);
  }
  memberList(req: etcdserverpb.MemberListRequest) {
    return this.core.memberList(req);
  }
  memberAdd(req: etcdserverpb.MemberAddRequest) {
    return this.core.memberAdd(req);
  }
  memberRemove(req: etcdserverpb.MemberRemoveRequest) {
    return this.core.memberRemove(req);
  }
  memberUpdate(req: etcdserverpb.MemberUpdateRequest) {
    return this.core.memberUpdate(req);
  }
  memberPromote(req: etcdserverpb.MemberPromoteRequest) {
    return this.core.memberPromote(req);
  }
  status(req: etcdserverpb.StatusRequest) {
    return this.core.status(req);
  }
  hash(req: etcdserverpb.HashRequest) {
    return this.core.hash(req);
  }
  hashKV(req: etcdserverpb.HashKVRequest) {
    return this.core.hashKV(req);
  }
  defragment(req: etcdserverpb.DefragmentRequest) {
    return this.core.defragment(req);
  }
  alarm(req: etcdserverpb.AlarmRequest) {
    return this.core.alarm(req);
  }
  moveLeader(req: etcdserverpb.MoveLeaderRequest) {
    return this.core.moveLeader(req);
  }
  header(): etcdserverpb.IResponseHeader {
    return this.core.header();
  }
  leader(): bigint {
    return this.core.lead ?? 0n;
  }

  /** The backend dump in 32 KiB chunks, then etcd's trailing sha256 of everything sent before it. */
  async *snapshot(_req: etcdserverpb.SnapshotRequest): AsyncGenerator<etcdserverpb.ISnapshotResponse> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-snapshot-'));
    const file = path.join(dir, 'snapshot.db');
    try {
      this.core.snapshotToFile(file);
      const data = fs.readFileSync(file);
      const sum = createHash('sha256').update(data).digest();
      const all = Buffer.concat([data, sum]);
      const header = this.core.header();
      for (let off = 0; off < all.length; off += SNAPSHOT_CHUNK) {
        const blob = all.subarray(off, Math.min(all.length, off + SNAPSHOT_CHUNK));
        yield { header, remainingBytes: all.length - off - blob.length, blob };
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  watchStream(sink: WatchSink): WatchStream {
    return new MvccWatchBridge(this.core, sink);
  }
}

/** Pumps an mvcc WatchStream's responses into a WatchSink. */
class MvccWatchBridge implements WatchStream {
  private readonly ws: any;
  private readonly ids = new Set<number>();

  constructor(
    private readonly core: any,
    private readonly sink: WatchSink,
  ) {
    this.ws = core.newWatchStream();
    void this.pump();
  }

  private async pump(): Promise<void> {
    for await (const r of this.ws as AsyncIterable<any>) {
      const header = { ...this.core.header(), revision: r.revision };
      if (r.compactRevision !== 0) {
        this.ids.delete(r.watchId);
        this.sink.onCompacted(r.watchId, r.compactRevision, header);
      } else if (r.events.length === 0) {
        this.sink.onProgress(r.watchId, header);
      } else {
        const events: mvccpb.IEvent[] = r.events.map((ev: any) => ({
          type: ev.type === 'DELETE' ? 1 : 0,
          kv: kvToPb(ev.kv),
          prevKv: kvToPb(ev.prevKv),
        }));
        this.sink.onEvents(r.watchId, events, header);
      }
    }
  }

  watch(req: WatchCreate): number {
    const id: number = this.ws.watch({
      key: req.key,
      rangeEnd: req.rangeEnd.length > 0 ? req.rangeEnd : undefined,
      startRevision: req.startRevision,
      prevKv: req.prevKv,
      noPut: req.noPut,
      noDelete: req.noDelete,
      watchId: req.watchId,
    });
    this.ids.add(id);
    return id;
  }

  cancel(watchId: number): boolean {
    this.ids.delete(watchId);
    return this.ws.cancel(watchId);
  }

  requestProgress(): void {
    if (this.ids.size === 0) {
      this.sink.onProgress(-1, this.core.header());
      return;
    }
    for (const id of this.ids) this.ws.requestProgress(id);
  }

  close(): void {
    this.ws.close();
  }
}

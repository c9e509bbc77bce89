import * as grpc from '@grpc/grpc-js';
import { createClient, type etcdserverpb, toLong } from '@kv/api-proto';

// Test support: a few etcd RPCs over gRPC with deadlines, as promises.
function unary<Req, Res>(client: any, method: string, req: Req, timeoutMs: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err: Error | null, res: Res) => (err ? reject(err) : resolve(res)),
    );
  });
}

export class TestClient {
  private readonly kv;
  private readonly maintenance;
  private readonly cluster;

  constructor(readonly address: string) {
    this.kv = createClient('KV', address, grpc.credentials.createInsecure());
    this.maintenance = createClient('Maintenance', address, grpc.credentials.createInsecure());
    this.cluster = createClient('Cluster', address, grpc.credentials.createInsecure());
  }

  put(key: string, value: string, timeoutMs = 5000): Promise<etcdserverpb.PutResponse> {
    return unary(this.kv, 'Put', { key: Buffer.from(key), value: Buffer.from(value) }, timeoutMs);
  }

  range(key: string, rangeEnd: string | undefined, serializable: boolean, timeoutMs = 5000) {
    return unary<object, etcdserverpb.RangeResponse>(
      this.kv,
      'Range',
      { key: Buffer.from(key), rangeEnd: rangeEnd ? Buffer.from(rangeEnd) : undefined, serializable },
      timeoutMs,
    );
  }

  status(timeoutMs = 2000): Promise<etcdserverpb.StatusResponse> {
    return unary(this.maintenance, 'Status', {}, timeoutMs);
  }

  memberAdd(peerUrls: string[], timeoutMs = 10_000): Promise<etcdserverpb.MemberAddResponse> {
    return unary(this.cluster, 'MemberAdd', { peerURLs: peerUrls }, timeoutMs);
  }

  memberRemove(id: bigint, timeoutMs = 10_000): Promise<etcdserverpb.MemberRemoveResponse> {
    return unary(this.cluster, 'MemberRemove', { ID: toLong(id, true) }, timeoutMs);
  }

  memberList(timeoutMs = 5000): Promise<etcdserverpb.MemberListResponse> {
    return unary(this.cluster, 'MemberList', {}, timeoutMs);
  }

  close(): void {
    this.cluster.close();
    this.kv.close();
    this.maintenance.close();
  }
}

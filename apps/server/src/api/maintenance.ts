// Maintenance service. Snapshot is a server stream fed from the core's async iterable, paced by the
// client's flow control; a client that goes away stops the iteration.
import { type etcdserverpb, Maintenance } from '@kv/api-proto';
import { EtcdError, GrpcCode } from '../errors';
import type { CallContext, ServerStream } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, stream, unary } from './handlers';

export function addMaintenance(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Maintenance.Status, (req: etcdserverpb.StatusRequest) => server.status(req));
  unary(table, Maintenance.Hash, (req: etcdserverpb.HashRequest, ctx: CallContext) => server.hash(req, ctx));
  unary(table, Maintenance.HashKV, (req: etcdserverpb.HashKVRequest, ctx: CallContext) =>
    server.hashKV(req, ctx),
  );
  unary(table, Maintenance.Defragment, (req: etcdserverpb.DefragmentRequest, ctx: CallContext) =>
    server.defragment(req, ctx),
  );
  unary(table, Maintenance.Alarm, (req: etcdserverpb.AlarmRequest) => server.alarm(req));
  unary(table, Maintenance.MoveLeader, (req: etcdserverpb.MoveLeaderRequest) => server.moveLeader(req));
  unary(table, Maintenance.Downgrade, () => {
    throw new EtcdError(
      GrpcCode.UNIMPLEMENTED,
      'unknown method Downgrade for service etcdserverpb.Maintenance',
    );
  });
  stream(table, Maintenance.Snapshot, (call: ServerStream<etcdserverpb.SnapshotRequest>) => {
    let started = false;
    call.onmessage = (req) => {
      if (started) return;
      started = true;
      void pump(server.snapshot(req, call), call);
    };
  });
}

async function pump(
  chunks: AsyncIterable<etcdserverpb.ISnapshotResponse>,
  call: ServerStream,
): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (call.closed) {
        await it.return?.();
        return;
      }
      const r = await it.next();
      if (r.done) break;
      if (!call.write(r.value)) await call.drained();
    }
    call.end();
  } catch (e) {
    call.end(e);
  }
}

// Lease service. KeepAlive is a bidi stream of renewals; an unknown lease is answered with TTL 0 (not an
// error), and the stream ends when the client closes its side, as etcd's lease server does.
import { type etcdserverpb, Lease } from '@kv/api-proto';
import { isEtcdError } from '../errors';
import type { CallContext, ServerStream } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, stream, unary } from './handlers';

export function addLease(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Lease.LeaseGrant, (req: etcdserverpb.LeaseGrantRequest, ctx: CallContext) =>
    server.leaseGrant(req, ctx),
  );
  unary(table, Lease.LeaseRevoke, (req: etcdserverpb.LeaseRevokeRequest, ctx: CallContext) =>
    server.leaseRevoke(req, ctx),
  );
  unary(table, Lease.LeaseTimeToLive, (req: etcdserverpb.LeaseTimeToLiveRequest, ctx: CallContext) =>
    server.leaseTimeToLive(req, ctx),
  );
  unary(table, Lease.LeaseLeases, (req: etcdserverpb.LeaseLeasesRequest, ctx: CallContext) =>
    server.leaseLeases(req, ctx),
  );
  stream(table, Lease.LeaseKeepAlive, (call: ServerStream<etcdserverpb.LeaseKeepAliveRequest>) => {
    let inflight = 0;
    let halfClosed = false;
    const settle = () => {
      if (--inflight === 0 && halfClosed) call.end();
    };
    call.onmessage = (req) => {
      inflight++;
      server.leaseRenew(req, call).then(
        (res) => {
          call.write(res);
          settle();
        },
        (err) => {
          if (isEtcdError(err, 'LeaseNotFound')) call.write({ header: server.header(), ID: req.ID, TTL: 0 });
          else call.end(err);
          settle();
        },
      );
    };
    call.onhalfclose = () => {
      halfClosed = true;
      if (inflight === 0) call.end();
    };
  });
}

// Cluster service: membership lives in the core. The call is the caller: with auth on, changing
// membership takes the root role (etcd's checkMembershipOperationPermission).
import { Cluster, type etcdserverpb } from '@kv/api-proto';
import type { CallContext } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';

export function addCluster(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Cluster.MemberList, (req: etcdserverpb.MemberListRequest) => server.memberList(req));
  unary(table, Cluster.MemberAdd, (req: etcdserverpb.MemberAddRequest, ctx: CallContext) =>
    server.memberAdd(req, ctx),
  );
  unary(table, Cluster.MemberRemove, (req: etcdserverpb.MemberRemoveRequest, ctx: CallContext) =>
    server.memberRemove(req, ctx),
  );
  unary(table, Cluster.MemberUpdate, (req: etcdserverpb.MemberUpdateRequest, ctx: CallContext) =>
    server.memberUpdate(req, ctx),
  );
  unary(table, Cluster.MemberPromote, (req: etcdserverpb.MemberPromoteRequest, ctx: CallContext) =>
    server.memberPromote(req, ctx),
  );
}

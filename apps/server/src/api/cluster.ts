// Cluster service: membership lives in the core.
import { Cluster, type etcdserverpb } from '@kv/api-proto';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';

export function addCluster(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Cluster.MemberList, (req: etcdserverpb.MemberListRequest) => server.memberList(req));
  unary(table, Cluster.MemberAdd, (req: etcdserverpb.MemberAddRequest) => server.memberAdd(req));
  unary(table, Cluster.MemberRemove, (req: etcdserverpb.MemberRemoveRequest) => server.memberRemove(req));
  unary(table, Cluster.MemberUpdate, (req: etcdserverpb.MemberUpdateRequest) => server.memberUpdate(req));
  unary(table, Cluster.MemberPromote, (req: etcdserverpb.MemberPromoteRequest) => server.memberPromote(req));
}

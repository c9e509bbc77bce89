// etcdctl's "protobuf" output: the marshalled response, with nothing around it. The lease commands
// print only the response header: clientv3's lease responses embed *pb.ResponseHeader, whose Marshal
// is the one their values have (lease revoke's has none, and fails). Endpoint and snapshot results have no protobuf form.
import { CtlError, ExitBadFeature } from './exit-codes';
import { encodeMessage } from './pb-encode';
import type { Msg, Printer } from './printer';
import * as S from './schemas';

const pb = (schema: S.Schema, r: Msg) => process.stdout.write(encodeMessage(schema, r));
const headerOnly = (r: Msg) => pb(S.ResponseHeader, r.header);
const unsupported = (): never => {
  throw new CtlError(ExitBadFeature, 'protobuf not supported as output format');
};

export class ProtobufPrinter implements Printer {
  del = (r: Msg) => pb(S.DeleteRangeResponse, r);
  get = (r: Msg) => pb(S.RangeResponse, r);
  put = (r: Msg) => pb(S.PutResponse, r);
  txn = (r: Msg) => pb(S.TxnResponse, r);
  // pb.WatchResponse{Header, Events}: the header is always there, the other fields are not set
  watch = (r: Msg) => pb(S.WatchResponse, { header: r.header ?? {}, events: r.events });
  grant = headerOnly;
  // clientv3.LeaseRevokeResponse is a plain copy of the proto type, without Marshal: etcdctl says so
  revoke = (_id: bigint, r: Msg): never => {
    const h = r.header ?? {};
    const text = (['cluster_id', 'member_id', 'revision', 'raft_term'] as const)
      .map((n, i) => [n, [h.clusterId, h.memberId, h.revision, h.raftTerm][i]] as const)
      .filter(([, v]) => v !== undefined && BigInt(v) !== 0n)
      .map(([n, v]) => `${n}:${v} `)
      .join('');
    throw new CtlError(
      ExitBadFeature,
      `marshal unsupported for type clientv3.LeaseRevokeResponse ({${text}})`,
    );
  };
  keepAlive = headerOnly;
  timeToLive = headerOnly;
  leases = headerOnly;
  memberAdd = (r: Msg) => pb(S.MemberAddResponse, r);
  memberRemove = (_id: bigint, r: Msg) => pb(S.MemberRemoveResponse, r);
  memberUpdate = (_id: bigint, r: Msg) => pb(S.MemberUpdateResponse, r);
  memberPromote = (_id: bigint, r: Msg) => pb(S.MemberPromoteResponse, r);
  memberList = (r: Msg) => pb(S.MemberListResponse, r);
  endpointHealth = unsupported;
  endpointStatus = unsupported;
  endpointHashKV = unsupported;
  dbStatus = unsupported;
  moveLeader = (_l: bigint, _t: bigint, r: Msg) => pb(S.MoveLeaderResponse, r);
  alarm = (r: Msg) => pb(S.AlarmResponse, r);
  roleAdd = (_role: string, r: Msg) => pb(S.HeaderOnly, r);
  roleGet = (_role: string, r: Msg) => pb(S.AuthRoleGetResponse, r);
  roleDelete = (_role: string, r: Msg) => pb(S.HeaderOnly, r);
  roleList = (r: Msg) => pb(S.AuthRoleListResponse, r);
  roleGrantPermission = (_role: string, r: Msg) => pb(S.HeaderOnly, r);
  roleRevokePermission = (_role: string, _k: string, _e: string, r: Msg) => pb(S.HeaderOnly, r);
  userAdd = (_user: string, r: Msg) => pb(S.HeaderOnly, r);
  userGet = (_user: string, r: Msg) => pb(S.AuthUserGetResponse, r);
  userList = (r: Msg) => pb(S.AuthUserListResponse, r);
  userChangePassword = (r: Msg) => pb(S.HeaderOnly, r);
  userGrantRole = (_u: string, _r: string, r: Msg) => pb(S.HeaderOnly, r);
  userRevokeRole = (_u: string, _r: string, r: Msg) => pb(S.HeaderOnly, r);
  userDelete = (_u: string, r: Msg) => pb(S.HeaderOnly, r);
}

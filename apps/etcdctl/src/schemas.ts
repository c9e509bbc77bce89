// The response messages etcdctl prints, field by field in proto order (which is the order of the Go
// structs etcdctl marshals). Each field: [Go json name, kind]. The in-memory key is the protobufjs
// camelCase of the proto name. 64-bit integers are bigint in memory, bytes are Buffer.
export type Kind =
  | 'u64'
  | 'i64'
  | 'u32'
  | 'i32'
  | 'enum'
  | 'bool'
  | 'string'
  | 'bytes'
  | { msg: Schema }
  | { list: Kind };

export interface Schema {
  fields: Array<[string, Kind]>;
  /** proto-generated Go structs tag every field omitempty; hand-written ones (clientv3.WatchResponse) do not */
  omitEmpty: boolean;
  /** proto field numbers where they are not 1, 2, 3... in order */
  numbers?: number[];
  /** for a oneof: Go marshals the wrapper as {"Response":{"ResponseRange":{...}}} */
  oneof?: { goName: string; cases: Array<[string, string, Schema]> };
}

const proto = (fields: Array<[string, Kind]>): Schema => ({ fields, omitEmpty: true });

/** camelCase of a proto field name, as protobufjs names it ("cluster_id" -> "clusterId", "ID" -> "ID"). */
export function keyOf(jsonName: string): string {
  return jsonName.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const ResponseHeader = proto([
  ['cluster_id', 'u64'],
  ['member_id', 'u64'],
  ['revision', 'i64'],
  ['raft_term', 'u64'],
]);
const header: [string, Kind] = ['header', { msg: ResponseHeader }];

export const KeyValue = proto([
  ['key', 'bytes'],
  ['create_revision', 'i64'],
  ['mod_revision', 'i64'],
  ['version', 'i64'],
  ['value', 'bytes'],
  ['lease', 'i64'],
]);
export const Event = proto([
  ['type', 'enum'],
  ['kv', { msg: KeyValue }],
  ['prev_kv', { msg: KeyValue }],
]);

export const RangeResponse = proto([
  header,
  ['kvs', { list: { msg: KeyValue } }],
  ['more', 'bool'],
  ['count', 'i64'],
]);
export const PutResponse = proto([header, ['prev_kv', { msg: KeyValue }]]);
export const DeleteRangeResponse = proto([
  header,
  ['deleted', 'i64'],
  ['prev_kvs', { list: { msg: KeyValue } }],
]);
export const TxnResponse: Schema = proto([header, ['succeeded', 'bool']]);
export const ResponseOp: Schema = {
  fields: [],
  omitEmpty: true,
  oneof: {
    goName: 'Response',
    cases: [
      ['responseRange', 'ResponseRange', RangeResponse],
      ['responsePut', 'ResponsePut', PutResponse],
      ['responseDeleteRange', 'ResponseDeleteRange', DeleteRangeResponse],
      ['responseTxn', 'ResponseTxn', TxnResponse],
    ],
  },
};
TxnResponse.fields.push(['responses', { list: { msg: ResponseOp } }]);
export const CompactionResponse = proto([header]);

export const WatchResponse: Schema = {
  ...proto([
    header,
    ['watch_id', 'i64'],
    ['created', 'bool'],
    ['canceled', 'bool'],
    ['compact_revision', 'i64'],
    ['cancel_reason', 'string'],
    ['fragment', 'bool'],
    ['events', { list: { msg: Event } }],
  ]),
  numbers: [1, 2, 3, 4, 5, 6, 7, 11],
};

export const LeaseGrantResponse = proto([header, ['ID', 'i64'], ['TTL', 'i64'], ['error', 'string']]);
export const LeaseRevokeResponse = proto([header]);
export const LeaseKeepAliveResponse = proto([header, ['ID', 'i64'], ['TTL', 'i64']]);
export const LeaseTimeToLiveResponse = proto([
  header,
  ['ID', 'i64'],
  ['TTL', 'i64'],
  ['grantedTTL', 'i64'],
  ['keys', { list: 'bytes' }],
]);
export const LeaseStatus = proto([['ID', 'i64']]);
export const LeaseLeasesResponse = proto([header, ['leases', { list: { msg: LeaseStatus } }]]);

export const Member = proto([
  ['ID', 'u64'],
  ['name', 'string'],
  ['peerURLs', { list: 'string' }],
  ['clientURLs', { list: 'string' }],
  ['isLearner', 'bool'],
]);
const members: [string, Kind] = ['members', { list: { msg: Member } }];
export const MemberAddResponse = proto([header, ['member', { msg: Member }], members]);
export const MemberRemoveResponse = proto([header, members]);
export const MemberUpdateResponse = proto([header, members]);
export const MemberListResponse = proto([header, members]);
export const MemberPromoteResponse = proto([header, members]);

export const AlarmMember = proto([
  ['memberID', 'u64'],
  ['alarm', 'enum'],
]);
export const AlarmResponse = proto([header, ['alarms', { list: { msg: AlarmMember } }]]);
export const StatusResponse = proto([
  header,
  ['version', 'string'],
  ['dbSize', 'i64'],
  ['leader', 'u64'],
  ['raftIndex', 'u64'],
  ['raftTerm', 'u64'],
  ['raftAppliedIndex', 'u64'],
  ['errors', { list: 'string' }],
  ['dbSizeInUse', 'i64'],
  ['isLearner', 'bool'],
]);
export const HashKVResponse = proto([header, ['hash', 'u32'], ['compact_revision', 'i64']]);
export const DefragmentResponse = proto([header]);
export const MoveLeaderResponse = proto([header]);

export const HeaderOnly = proto([header]);
export const AuthUserGetResponse = proto([header, ['roles', { list: 'string' }]]);
export const AuthUserListResponse = proto([header, ['users', { list: 'string' }]]);
export const AuthRoleListResponse = proto([header, ['roles', { list: 'string' }]]);
export const Permission = proto([
  ['permType', 'enum'],
  ['key', 'bytes'],
  ['range_end', 'bytes'],
]);
export const AuthRoleGetResponse = proto([header, ['perm', { list: { msg: Permission } }]]);
export const AuthenticateResponse = proto([header, ['token', 'string']]);

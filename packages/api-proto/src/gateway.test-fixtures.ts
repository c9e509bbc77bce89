// Real responses of etcd 3.4.23's grpc-gateway (Debian /usr/bin/etcd), recorded with curl on 127.0.0.1.
// Each: the POST path and body sent, the HTTP status and the exact response body text.
export interface RecordedExchange {
  path: string;
  body: string;
  status: number;
  response: string;
}

export const etcd34Exchanges: readonly RecordedExchange[] = [
  {
    path: '/v3/kv/put',
    body: '{"key":"Zml4","value":"djE="}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"14","raft_term":"2"}}',
  },
  {
    path: '/v3/kv/put',
    body: '{"key":"Zml4","value":"djI=","prev_kv":true}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"15","raft_term":"2"},"prev_kv":{"key":"Zml4","create_revision":"14","mod_revision":"14","version":"1","value":"djE="}}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zml4"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"15","raft_term":"2"},"kvs":[{"key":"Zml4","create_revision":"14","mod_revision":"15","version":"2","value":"djI="}],"count":"1"}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"AA==","range_end":"AA==","keysOnly":true,"sort_order":"DESCEND","sort_target":"MOD","limit":"2"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"15","raft_term":"2"},"kvs":[{"key":"Zml4","create_revision":"14","mod_revision":"15","version":"2"}],"count":"1"}',
  },
  {
    path: '/v3/kv/txn',
    body: '{"compare":[{"key":"Zml4","result":"GREATER","target":"CREATE","create_revision":"0"}],"success":[{"request_range":{"key":"Zml4"}},{"request_put":{"key":"Zml4","value":"djM=","prev_kv":true}}],"failure":[]}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"16","raft_term":"2"},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"15"},"kvs":[{"key":"Zml4","create_revision":"14","mod_revision":"15","version":"2","value":"djI="}],"count":"1"}},{"response_put":{"header":{"revision":"16"},"prev_kv":{"key":"Zml4","create_revision":"14","mod_revision":"15","version":"2","value":"djI="}}}]}',
  },
  {
    path: '/v3/kv/deleterange',
    body: '{"key":"Zml4","prev_kv":true}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"17","raft_term":"2"},"deleted":"1","prev_kvs":[{"key":"Zml4","create_revision":"14","mod_revision":"16","version":"3","value":"djM="}]}',
  },
  {
    path: '/v3/kv/compaction',
    body: '{"revision":"4","physical":true}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"17","raft_term":"2"}}',
  },
  {
    path: '/v3/lease/grant',
    body: '{"TTL":"60","ID":"7587852393425016399"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"17","raft_term":"2"},"ID":"7587852393425016399","TTL":"60"}',
  },
  {
    path: '/v3/kv/put',
    body: '{"key":"bGVhc2Vk","value":"eA==","lease":"7587852393425016399"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"}}',
  },
  {
    path: '/v3/lease/timetolive',
    body: '{"ID":"7587852393425016399","keys":true}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"ID":"7587852393425016399","TTL":"58","grantedTTL":"60","keys":["bGVhc2Vk"]}',
  },
  {
    path: '/v3/kv/lease/leases',
    body: '{}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"leases":[{"ID":"7587852393425016399"}]}',
  },
  {
    path: '/v3/cluster/member/list',
    body: '{}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","raft_term":"2"},"members":[{"ID":"8756362356176212582","peerURLs":["http://127.0.0.1:1"],"isLearner":true},{"ID":"10808180505451851376","name":"default","peerURLs":["http://127.0.0.1:25546"],"clientURLs":["http://127.0.0.1:25545"]}]}',
  },
  {
    path: '/v3/maintenance/status',
    body: '{}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"version":"3.4.23","dbSize":"20480","leader":"10808180505451851376","raftIndex":"69","raftTerm":"2","raftAppliedIndex":"69","dbSizeInUse":"16384"}',
  },
  {
    path: '/v3/maintenance/hash',
    body: '{}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"hash":515432274}',
  },
  {
    path: '/v3/auth/role/get',
    body: '{"role":"r1"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"perm":[{"permType":"READWRITE","key":"Zm9v","range_end":"Zm9w"}]}',
  },
  {
    path: '/v3/auth/user/get',
    body: '{"name":"root"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"18","raft_term":"2"},"roles":["root"]}',
  },
  {
    path: '/v3/lock/lock',
    body: '{"name":"bXlsb2Nr"}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"19","raft_term":"2"},"key":"bXlsb2NrLzZlNzBhMjBmMTk3ZjRhNjk="}',
  },
  {
    path: '/v3/election/campaign',
    body: '{"name":"ZWxlYw==","value":"bWU="}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"20","raft_term":"2"},"leader":{"name":"ZWxlYw==","key":"ZWxlYy82ZTcwYTIwZjE5N2Y0YTZj","rev":"20","lease":"7958038727299648108"}}',
  },
  {
    path: '/v3/election/leader',
    body: '{"name":"ZWxlYw=="}',
    status: 200,
    response:
      '{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"20","raft_term":"2"},"kv":{"key":"ZWxlYy82ZTcwYTIwZjE5N2Y0YTZj","create_revision":"20","mod_revision":"20","version":"1","value":"bWU=","lease":"7958038727299648108"}}',
  },
  {
    path: '/v3/lease/keepalive',
    body: '{"ID":"7587852393425016399"}',
    status: 200,
    response:
      '{"result":{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"20","raft_term":"2"},"ID":"7587852393425016399","TTL":"60"}}\n',
  },
  {
    path: '/v3/watch',
    body: '{"create_request":{"key":"d2F0Y2hlZA==","prev_kv":true,"filters":["NOPUT"],"watch_id":"7"}}',
    status: 200,
    response:
      '{"result":{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"21","raft_term":"2"},"watch_id":"7","created":true}}\n{"result":{"header":{"cluster_id":"3747718666296448110","member_id":"10808180505451851376","revision":"22","raft_term":"2"},"watch_id":"7","events":[{"type":"DELETE","kv":{"key":"d2F0Y2hlZA==","mod_revision":"22"},"prev_kv":{"key":"d2F0Y2hlZA==","create_revision":"21","mod_revision":"21","version":"1","value":"MQ=="}}]}}\n',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zm9v","revision":"2"}',
    status: 400,
    response:
      '{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"!!!"}',
    status: 400,
    response:
      '{"error":"illegal base64 data at input byte 0","message":"illegal base64 data at input byte 0","code":3}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zm9vYg"}',
    status: 400,
    response:
      '{"error":"illegal base64 data at input byte 4","message":"illegal base64 data at input byte 4","code":3}',
  },
  {
    path: '/v3/kv/put',
    body: '{"key" "Zm9v"}',
    status: 400,
    response:
      '{"error":"invalid character \'\\"\' after object key","message":"invalid character \'\\"\' after object key","code":3}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zm9v","sort_order":"BOGUS"}',
    status: 400,
    response:
      '{"error":"unknown value \\"BOGUS\\" for enum etcdserverpb.RangeRequest_SortOrder","message":"unknown value \\"BOGUS\\" for enum etcdserverpb.RangeRequest_SortOrder","code":3}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zm9v","limit":1.5}',
    status: 400,
    response:
      '{"error":"json: cannot unmarshal number 1.5 into Go value of type int64","message":"json: cannot unmarshal number 1.5 into Go value of type int64","code":3}',
  },
  {
    path: '/v3/kv/range',
    body: '{"key":"Zm9v","keys_only":"yes"}',
    status: 400,
    response:
      '{"error":"json: cannot unmarshal string into Go value of type bool","message":"json: cannot unmarshal string into Go value of type bool","code":3}',
  },
  {
    path: '/v3/lease/revoke',
    body: '{"ID":"5"}',
    status: 404,
    response:
      '{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}',
  },
  {
    path: '/v3/watch',
    body: '{"create_request":{"key":"!!"}}',
    status: 500,
    response:
      '{"error":"illegal base64 data at input byte 0","message":"illegal base64 data at input byte 0","code":2}',
  },
];

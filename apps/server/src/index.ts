// @kv/server: An etcd v3 compatible server: raft, WAL, MVCC and leases behind etcd's gRPC and JSON APIs.
export {};

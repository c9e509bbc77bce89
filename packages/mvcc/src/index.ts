// @kv/mvcc: etcd's multi-version key-value store (revisions, history, compaction, watch) on RocksDB.
export {};

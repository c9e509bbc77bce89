// @kv/raft: A deterministic Raft consensus state machine with no I/O, in the style of etcd-io/raft.
export {};

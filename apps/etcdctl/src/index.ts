// @kv/etcdctl: An etcdctl-compatible command line client built with oclif.
export {};

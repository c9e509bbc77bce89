// @kv/lease: TTL leases as etcd has them, driven by a server's apply loop.
export {};

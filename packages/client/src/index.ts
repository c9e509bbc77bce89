// @kv/client: A typed, promise-based etcd v3 client for Node.js.
export {};

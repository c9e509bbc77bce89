// @kv/client: A typed, promise-based etcd v3 client for Node.js.
export { Client, type ClientOptions, type KV, type WatchOptions } from './client';
export type { KeepAliveOptions, TlsOptions } from './endpoint-pool';
export * from './errors';
export { type Bytes, FROM_KEY, prefixEnd, type RangeSelector } from './key-range';
export { KeyValue, type ResponseHeader } from './key-value';
export type {
  DeleteOptions,
  DeleteResponse,
  GetOptions,
  GetResponse,
  LeaseRef,
  PutOptions,
  PutResponse,
  SortOrder,
  SortTarget,
} from './kv';
export type { CallOptions } from './rpc';
export {
  Compare,
  type CompareOp,
  type CompareTarget,
  type Comparison,
  Op,
  type Operation,
  type OpResponse,
  Txn,
  type TxnResponse,
  type TxnSpec,
} from './txn';
export { type WatchBatch, type WatchEvent, Watcher, type WatcherEvents } from './watcher';
export { type GrantOptions, Lease, LeaseClient, type LeaseEvents, type LeaseTimeToLive } from './lease';

// @kv/client: A typed, promise-based etcd v3 client for Node.js.

export { AuthClient, type Permission, type PermissionType } from './auth';
export { Client, type ClientOptions, type KV, type Transport, type WatchOptions } from './client';
export { ClusterClient, type Member, type MembersResponse } from './cluster';
export { Election, NotLeaderError } from './concurrency/election';
export { Mutex } from './concurrency/mutex';
export { Session, SessionExpiredError, type SessionOptions } from './concurrency/session';
export { type Isolation, runSTM, type STM, STMConflictError, type STMOptions } from './concurrency/stm';
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
export { type GrantOptions, Lease, LeaseClient, type LeaseEvents, type LeaseTimeToLive } from './lease';
export { type Alarm, type AlarmType, MaintenanceClient, type StatusResponse } from './maintenance';
export { Namespace } from './namespace';
export type { CallKind, CallOptions } from './rpc';
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
export { type WireMethod, wireMethod } from './wire';

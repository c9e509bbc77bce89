// @kv/mvcc: etcd's multi-version key-value store (revisions, history, compaction, watch) on RocksDB.

export { checkTxnIntervals } from './apply';
export {
  Backend,
  type BackendOptions,
  type BackendSizes,
  type DefragmentResult,
  type IterateOptions,
  Namespace,
} from './backend';
export { crc32c } from './crc32c';
export { ErrClosed, ErrCompacted, ErrDuplicateKey, ErrFutureRev, ErrKeyNotFound } from './errors';
export { encodeEtcdKeyValue, etcdRevisionKey, etcdRow } from './etcd-form';
export type { HashResult } from './hash';
export { decodeKeyValue, type Event, encodeKeyValue, isTombstoneRecord, type KeyValue } from './key-value';
export { type CompactionObserver, KVStore, type KVStoreOptions, META_KEYS, MvccCounts } from './kv-store';
export type { RangeOptions, RangeResult, TxnRead, TxnWrite } from './kv-txn';
export {
  type ApplyChecks,
  type Compare,
  CompareResult,
  CompareTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseOp,
  SortOrder,
  SortTarget,
  type TxnRequest,
  type TxnResponse,
} from './request';
export { decodeRevision, encodeRevision, type Revision } from './revision';
export {
  WatchableStore,
  type WatchableStoreOptions,
  type WatchRequest,
  type WatchResponse,
  WatchStream,
} from './watchable-store';

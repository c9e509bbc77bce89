// @kv/bbolt: reads and bulk-writes bbolt files, the format of etcd's backend and of its snapshots.
export { fnv1a64 } from './layout';
export {
  type BoltBucket,
  type BoltBucketRef,
  type BoltFile,
  BoltFormatError,
  type BoltMeta,
  BoltReader,
  currentMeta,
  parseBolt,
  readBolt,
} from './reader';
export {
  type BoltBucketInput,
  type BoltWriteResult,
  BoltWriter,
  type BoltWriterOptions,
  writeBolt,
} from './writer';

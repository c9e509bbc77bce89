// @kv/server: An etcd v3 compatible server: raft, WAL, MVCC and leases behind etcd's gRPC and JSON APIs.

export {
  RestoreError,
  type RestoreOptions,
  type RestoreResult,
  restoreSnapshot,
} from './backend-file/restore.js';
export {
  ConfigError,
  completeConfig,
  defaultConfig,
  type EtcdConfig,
  parseArgs,
  verifyConfig,
} from './config/index.js';
export { type Etcd, type StartOptions, startEtcd } from './embed.js';
export { EtcdError, etcdError } from './errors.js';
export { CLUSTER_VERSION, EtcdServer, SERVER_VERSION } from './etcd-server/etcd-server.js';
export { runEtcd } from './main.js';
export type { Caller } from './server-api.js';

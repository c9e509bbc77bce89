export {
  type AutoCompactionMode,
  type ClusterState,
  ConfigError,
  completeConfig,
  DEFAULT_QUOTA_BACKEND_BYTES,
  defaultConfig,
  type EtcdConfig,
  type LogLevel,
  verifyConfig,
} from './config.js';
export { parseDurationMs } from './flags.js';
export { parseInitialCluster } from './initial-cluster.js';
export { type ParsedArgs, parseArgs } from './parse-args.js';
export { hostPortOf, parseUrlList } from './urls.js';

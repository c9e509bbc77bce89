export { Cluster, type ClusterOptions, FAST_TIMING } from './cluster';
export {
  type CtlResult,
  type EndpointStatus,
  endpointStatus,
  etcdctl,
  etcdctlOk,
  readLocal,
} from './etcdctl';
export { httpRequest, isHealthy } from './http';
export { Member, type MemberSpec, makeTempRoot } from './member';
export { NetLab, netnsSkipReason } from './netns';
export { sleep, waitFor } from './poll';
export { freePorts } from './ports';
export { quickstartScript, repoRoot, sharedDir } from './repo';
export {
  ETCDCTL as ETCDCTL_PATH,
  oursBinary,
  type ServerKind,
  SUITE_TIMEOUT_MS,
  serverCommand,
  serverKind,
  skipReason,
} from './server-binary';

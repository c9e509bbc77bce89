// @kv/api-proto: etcd v3 wire definitions: generated message classes, the RPC method table, grpc-js service
// definitions, 64-bit conversions and the grpc-gateway JSON mapping.
export { authpb, etcdserverpb, membershippb, mvccpb, v3electionpb, v3lockpb } from './generated/etcd.js';
export {
  Auth,
  Cluster,
  Election,
  KV,
  Lease,
  Lock,
  Maintenance,
  services,
  Watch,
} from './generated/methods.js';
export {
  addServices,
  clientConstructor,
  grpcServiceDefinitions,
  type Handler,
  type Implementations,
  type ServiceImplementation,
  type ServiceName,
} from './grpc-service.js';
export { type Int64Like, int64String, Long, toBigInt, toInt64, toLong, toNumber, toUint64 } from './int64.js';
export type { AnyMethod, MessageType, Method } from './method.js';
export { allMethods, methodByPath } from './method-table.js';

// @kv/api-proto: etcd v3 wire definitions: generated message classes, the RPC method table, grpc-js service
// definitions, 64-bit conversions and the grpc-gateway JSON mapping.
import './bigint-wire.js';

export {
  findGatewayMethod,
  type GatewayCall,
  GatewayError,
  gatewayErrorJson,
  gatewayResponseJson,
  gatewayStreamChunk,
  gatewayStreamErrorChunk,
  httpStatusFromGrpcCode,
  parseGatewayRequest,
} from './gateway.js';
export { gatewayRoutes } from './gateway-routes.js';
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
export { GrpcCode } from './grpc-code.js';
export { FrameReader, frameMessage, GrpcFrameError } from './grpc-frame.js';
export {
  addServices,
  type ClientMethod,
  clientConstructor,
  createClient,
  grpcServiceDefinitions,
  type Handler,
  type Implementations,
  type ServiceClient,
  type ServiceImplementation,
  type ServiceName,
} from './grpc-service.js';
export { type Int64Like, int64String, Long, toBigInt, toInt64, toLong, toNumber, toUint64 } from './int64.js';
export { JsonMappingError, messageFromJson, messageToJson } from './json-mapping.js';
export type { AnyMethod, MessageType, Method } from './method.js';
export { allMethods, methodByPath } from './method-table.js';
export { type EtcdErrorName, etcdErrorName, etcdErrors } from './rpc-errors.js';

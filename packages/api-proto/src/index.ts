// @kv/api-proto: etcd v3 wire definitions: .proto files, generated protobufjs code, gRPC service definitions and the grpc-gateway JSON mapping.
export {};

// The wire edge: etcd's gRPC methods (from @kv/api-proto's method table) as (path, serialize, deserialize).
// Requests go out as plain objects with camelCase field names (64-bit fields as number or bigint, bytes as
// Buffer) encoded directly; responses come back as decoded protobufjs messages (64-bit fields as Long,
// bytes as Buffer slices), which the converters in key-value.ts and friends turn into domain types.
// Skipping fromObject/toObject keeps the hot path free of per-field copies and Long-to-string work.
import { type AnyMethod, services } from '@kv/api-proto';

/** One gRPC method of etcd's API, ready for grpc-js's generic client calls. */
export interface WireMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  serialize(message: object): Buffer;
  deserialize(bytes: Buffer): any;
}

const methods = new Map<string, WireMethod>();

/** Looks up `service/method` (e.g. `KV/Range`) of etcd's API. */
export function wireMethod(service: keyof typeof services, name: string): WireMethod {
  const id = `${service}/${name}`;
  const cached = methods.get(id);
  if (cached) return cached;
  const m = (services[service] as Record<string, AnyMethod>)[name];
  if (!m) throw new Error(`unknown etcd method ${id}`);
  const def: WireMethod = {
    path: m.path,
    requestStream: m.requestStream,
    responseStream: m.responseStream,
    serialize: (message) => m.serializeRequest(message),
    deserialize: (bytes) => m.deserializeResponse(bytes),
  };
  methods.set(id, def);
  return def;
}

// The wire edge: etcd's gRPC methods (from @kv/api-proto's method table) as (path, serialize, deserialize).
// Messages cross this edge as plain objects with camelCase field names; 64-bit integers go out as decimal
// strings (so bigint IDs keep all 64 bits) and come back as decimal strings; bytes come back as Buffers.
// Everything above this module works with domain types and never sees protobuf classes or Longs.
import { type AnyMethod, services } from '@kv/api-proto';
import type { IConversionOptions } from 'protobufjs';

/** One gRPC method of etcd's API, ready for grpc-js's generic client calls. */
export interface WireMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  serialize(message: object): Buffer;
  deserialize(bytes: Buffer): any;
}

const toObjectOptions: IConversionOptions = { longs: String, enums: Number, defaults: true, arrays: true };
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
    serialize: (message) => m.serializeRequest(m.requestType.fromObject(message)),
    deserialize: (bytes) => m.responseType.toObject(m.deserializeResponse(bytes), toObjectOptions),
  };
  methods.set(id, def);
  return def;
}

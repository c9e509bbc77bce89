// The wire edge: etcd's gRPC methods as (path, serialize, deserialize).
// Messages cross this edge as plain objects with camelCase field names; 64-bit integers are decimal
// strings on the way out (so bigint IDs survive) and on the way in, bytes are Buffers.
// Everything above this module works with domain types and never sees protobuf classes.
import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';

/** One gRPC method of etcd's API, ready for grpc-js's generic client calls. */
export interface WireMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  serialize(message: object): Buffer;
  deserialize(bytes: Buffer): any;
}

const toObjectOptions: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  defaults: true,
  arrays: true,
};

let root: protobuf.Root | undefined;
const methods = new Map<string, WireMethod>();

function loadRoot(): protobuf.Root {
  if (root) return root;
  // Until @kv/api-proto ships its generated code we parse etcd's .proto files from the etcd3 package.
  const protoDir = join(dirname(require.resolve('etcd3/package.json')), 'proto');
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => join(protoDir, target.replace(/^\.\//, ''));
  r.loadSync('rpc.proto', { keepCase: false });
  r.resolveAll();
  root = r;
  return r;
}

/** Looks up `service/method` (e.g. `KV/Range`) of package etcdserverpb. */
export function wireMethod(service: string, name: string): WireMethod {
  const id = `${service}/${name}`;
  const cached = methods.get(id);
  if (cached) return cached;
  const svc = loadRoot().lookupService(`etcdserverpb.${service}`);
  const m = svc.methods[name];
  if (!m) throw new Error(`unknown etcd method ${id}`);
  m.resolve();
  const reqType = m.resolvedRequestType!;
  const resType = m.resolvedResponseType!;
  const def: WireMethod = {
    path: `/etcdserverpb.${service}/${name}`,
    requestStream: !!m.requestStream,
    responseStream: !!m.responseStream,
    serialize: (message) => Buffer.from(reqType.encode(reqType.fromObject(message)).finish()),
    deserialize: (bytes) => resType.toObject(resType.decode(bytes), toObjectOptions),
  };
  methods.set(id, def);
  return def;
}

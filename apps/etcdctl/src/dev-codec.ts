// Temporary codec until @kv/api-proto's generated code lands: etcd's protos as shipped by the etcd3
// package, loaded at run time with @grpc/proto-loader. Not used once api-proto is merged.
import type { Codec, MethodCodec, Service } from './conn-options';

export function devCodec(): Codec {
  const loader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const dir = require('node:path').join(require.resolve('etcd3/package.json'), '..', 'proto');
  const def = loader.loadSync(`${dir}/rpc.proto`, {
    keepCase: false,
    longs: String,
    enums: Number,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [dir],
  });
  return {
    method(service: Service, name: string): MethodCodec {
      const svc = def[`etcdserverpb.${service}`] as unknown as Record<
        string,
        { path: string; requestSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }
      >;
      const m = svc[name];
      if (!m) throw new Error(`no method ${service}.${name}`);
      return { path: m.path, serialize: (v) => m.requestSerialize(v), deserialize: (b) => m.responseDeserialize(b) };
    },
  };
}

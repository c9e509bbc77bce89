import type * as grpc from '@grpc/grpc-js';
import { services } from './generated/methods.js';
import type { AnyMethod, Method } from './method.js';

export type ServiceName = keyof typeof services;

/** The grpc-js handler type for one method, chosen by its streaming shape. */
export type Handler<M> =
  M extends Method<infer T, any, any, infer Q, infer RS, infer SS>
    ? RS extends true
      ? SS extends true
        ? grpc.handleBidiStreamingCall<T, Q>
        : grpc.handleClientStreamingCall<T, Q>
      : SS extends true
        ? grpc.handleServerStreamingCall<T, Q>
        : grpc.handleUnaryCall<T, Q>
    : never;

/** An implementation of one service: one handler per method. */
export type ServiceImplementation<S extends ServiceName> = {
  [K in keyof (typeof services)[S]]: Handler<(typeof services)[S][K]>;
};

/** Implementations to mount; a method left out answers UNIMPLEMENTED (grpc-js default handler). */
export type Implementations = { [S in ServiceName]?: Partial<ServiceImplementation<S>> };

function toDefinition(methods: Record<string, AnyMethod>): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(methods)) {
    def[name] = {
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: m.serializeRequest,
      requestDeserialize: m.deserializeRequest as (b: Buffer) => unknown,
      responseSerialize: m.serializeResponse,
      responseDeserialize: m.deserializeResponse as (b: Buffer) => unknown,
      originalName: name[0]!.toLowerCase() + name.slice(1),
    };
  }
  return def;
}

/** grpc-js service definitions for every etcd service, keyed by service name (`KV`, `Watch`, ...). */
export const grpcServiceDefinitions: { readonly [S in ServiceName]: grpc.ServiceDefinition } = Object.freeze(
  Object.fromEntries(
    Object.entries(services).map(([name, methods]) => [
      name,
      toDefinition(methods as Record<string, AnyMethod>),
    ]),
  ) as { [S in ServiceName]: grpc.ServiceDefinition },
);

/** Registers each given implementation on a grpc-js server under etcd's service paths. */
export function addServices(server: grpc.Server, implementations: Implementations): void {
  for (const [name, impl] of Object.entries(implementations)) {
    if (!impl) continue;
    const def = grpcServiceDefinitions[name as ServiceName];
    if (!def) throw new Error(`unknown service ${name}`);
    server.addService(def, impl as unknown as grpc.UntypedServiceImplementation);
  }
}

/** A grpc-js client class for one service, e.g. `new (clientConstructor('KV'))(addr, credentials)`. */
export function clientConstructor(name: ServiceName): grpc.ServiceClientConstructor {
  let ctor = constructors.get(name);
  if (!ctor) {
    // Loaded on first use: a server never makes clients, and grpc-js is ~65 modules of its restart.
    const { makeGenericClientConstructor } = require('@grpc/grpc-js') as typeof grpc;
    ctor = makeGenericClientConstructor(grpcServiceDefinitions[name], name);
    constructors.set(name, ctor);
  }
  return ctor;
}

const constructors = new Map<ServiceName, grpc.ServiceClientConstructor>();

type UnaryClientMethod<P, U> = {
  (request: P, callback: grpc.requestCallback<U>): grpc.ClientUnaryCall;
  (request: P, metadata: grpc.Metadata, callback: grpc.requestCallback<U>): grpc.ClientUnaryCall;
  (
    request: P,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<U>,
  ): grpc.ClientUnaryCall;
};

/** The grpc-js client call signature for one method, chosen by its streaming shape. */
export type ClientMethod<M> =
  M extends Method<any, infer P, infer U, any, infer RS, infer SS>
    ? RS extends true
      ? SS extends true
        ? (metadata?: grpc.Metadata, options?: Partial<grpc.CallOptions>) => grpc.ClientDuplexStream<P, U>
        : (
            metadata: grpc.Metadata,
            options: Partial<grpc.CallOptions>,
            callback: grpc.requestCallback<U>,
          ) => grpc.ClientWritableStream<P>
      : SS extends true
        ? (
            request: P,
            metadata?: grpc.Metadata,
            options?: Partial<grpc.CallOptions>,
          ) => grpc.ClientReadableStream<U>
        : UnaryClientMethod<P, U>
    : never;

/** A grpc-js client of one etcd service, typed with the generated messages. */
export type ServiceClient<S extends ServiceName> = grpc.Client & {
  [K in keyof (typeof services)[S]]: ClientMethod<(typeof services)[S][K]>;
};

/** Creates a typed grpc-js client, e.g. `createClient('KV', '127.0.0.1:2379', grpc.credentials.createInsecure())`. */
export function createClient<S extends ServiceName>(
  name: S,
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
): ServiceClient<S> {
  const Ctor = clientConstructor(name);
  return new Ctor(address, credentials, options) as unknown as ServiceClient<S>;
}

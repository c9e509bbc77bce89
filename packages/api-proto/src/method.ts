import './bigint-wire.js';
import type { IConversionOptions, Reader, Writer } from 'protobufjs';

/** What every generated message class offers (the static side of `etcdserverpb.PutRequest` and friends). */
export interface MessageType<T, P> {
  new (properties?: P): T;
  encode(message: P, writer?: Writer): Writer;
  decode(reader: Reader | Uint8Array, length?: number): T;
  fromObject(object: { [k: string]: any }): T;
  toObject(message: T, options?: IConversionOptions): { [k: string]: any };
  verify(message: { [k: string]: any }): string | null;
}

/**
 * One RPC. `T`/`P` are the request's decoded class and its plain-object properties, `U`/`Q` the same for
 * the response. Servers receive `T` and answer with `Q`; clients send `P` and receive `U`.
 */
export interface Method<T, P, U, Q, RS extends boolean = boolean, SS extends boolean = boolean> {
  /** Proto package, e.g. `etcdserverpb`. */
  readonly package: string;
  /** Service name without package, e.g. `KV`. */
  readonly service: string;
  /** Method name, e.g. `Range`. */
  readonly method: string;
  /** The HTTP/2 `:path` of the call, e.g. `/etcdserverpb.KV/Range`. */
  readonly path: string;
  readonly requestType: MessageType<T, P>;
  readonly responseType: MessageType<U, Q>;
  readonly requestStream: RS;
  readonly responseStream: SS;
  serializeRequest(message: P): Buffer;
  deserializeRequest(bytes: Uint8Array): T;
  serializeResponse(message: Q): Buffer;
  deserializeResponse(bytes: Uint8Array): U;
}

export type AnyMethod = Method<any, any, any, any>;

// protobufjs's BufferWriter already yields a Buffer on Node; the fallback covers a plain Uint8Array writer.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function defineMethod<T, P, U, Q, RS extends boolean, SS extends boolean>(
  pkg: string,
  service: string,
  method: string,
  requestType: MessageType<T, P>,
  responseType: MessageType<U, Q>,
  requestStream: RS,
  responseStream: SS,
): Method<T, P, U, Q, RS, SS> {
  return {
    package: pkg,
    service,
    method,
    path: `/${pkg}.${service}/${method}`,
    requestType,
    responseType,
    requestStream,
    responseStream,
    serializeRequest: (message) => asBuffer(requestType.encode(message).finish()),
    deserializeRequest: (bytes) => requestType.decode(bytes),
    serializeResponse: (message) => asBuffer(responseType.encode(message).finish()),
    deserializeResponse: (bytes) => responseType.decode(bytes),
  };
}

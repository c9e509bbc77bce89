// The errors the server returns to clients. Stock clients (etcdctl, clientv3, etcd3) match on the exact
// gRPC code and message text, so both are etcd's (api/v3rpc/rpctypes/error.go, etcd 3.4/3.5).

import { etcdErrors, GrpcCode } from '@kv/api-proto';

export { GrpcCode };

/** An error with a gRPC status: thrown by the core and the handlers, sent to the client as grpc-status/grpc-message. */
export class EtcdError extends Error {
  readonly code: GrpcCode;
  constructor(code: GrpcCode, message: string) {
    super(message);
    this.name = 'EtcdError';
    this.code = code;
  }
}

/** Every etcd server error, by its rpctypes name without the ErrGRPC prefix (the table lives in api-proto). */
export const ETCD_ERRORS = etcdErrors;
export type EtcdErrorName = keyof typeof ETCD_ERRORS;

/** A fresh EtcdError for one of etcd's named errors. */
export function etcdError(name: EtcdErrorName): EtcdError {
  const { code, message } = ETCD_ERRORS[name];
  return new EtcdError(code, message);
}

/** Is `err` etcd's named error? (compares code and text, as clientv3 does) */
export function isEtcdError(err: unknown, name: EtcdErrorName): boolean {
  const { code, message } = ETCD_ERRORS[name];
  return err instanceof EtcdError && err.code === code && err.message === message;
}

/**
 * The status a thrown value is sent as. EtcdErrors keep theirs; anything else is UNKNOWN with its
 * message, which is what grpc-go sends for a plain Go error returned by a handler.
 */
export function toStatus(err: unknown): { code: GrpcCode; message: string } {
  if (err instanceof EtcdError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: GrpcCode.UNKNOWN, message: err.message };
  return { code: GrpcCode.UNKNOWN, message: String(err) };
}

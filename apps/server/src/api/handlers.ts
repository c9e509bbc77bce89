// The table the transports serve: gRPC path -> handler. gRPC (frontend/grpc-server) and the JSON gateway
// (frontend/gateway) both dispatch through it, so a method behaves the same on either.
import type { AnyMethod } from '@kv/api-proto';
import type { StreamHandler, UnaryHandler } from '../frontend/grpc-server';

export interface HandlerEntry {
  method: AnyMethod;
  unary: UnaryHandler | null;
  stream: StreamHandler | null;
}

export type HandlerTable = Map<string, HandlerEntry>;

export function unary(table: HandlerTable, method: AnyMethod, handler: UnaryHandler): void {
  table.set(method.path, { method, unary: handler, stream: null });
}

export function stream(table: HandlerTable, method: AnyMethod, handler: StreamHandler): void {
  table.set(method.path, { method, unary: null, stream: handler });
}

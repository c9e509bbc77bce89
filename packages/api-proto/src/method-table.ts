import { services } from './generated/methods.js';
import type { AnyMethod } from './method.js';

/** Every RPC of every service, in .proto order. */
export const allMethods: readonly AnyMethod[] = Object.freeze(
  Object.values(services).flatMap((s) => Object.values(s) as AnyMethod[]),
);

const byPath = new Map(allMethods.map((m) => [m.path, m]));

/** Looks up an RPC by its HTTP/2 path (`/etcdserverpb.KV/Range`), for a front end that routes by path. */
export function methodByPath(path: string): AnyMethod | undefined {
  return byPath.get(path);
}

// The cluster connection of one command, on @kv/client: a Client (endpoints, TLS, auth token, retries)
// whose Transport carries etcd's RPCs as etcdctl needs them: the wire response with its header, which
// the printers show field by field.
import type * as grpc from '@grpc/grpc-js';
import type { Client, Transport } from '@kv/client';
import type { ConnOptions, Service } from './conn-options';
import { CtlError, ExitBadArgs } from './exit-codes';

let verificationSkipped = false;
/**
 * --insecure-skip-tls-verify: @kv/client's TLS options have no switch for it, so grpc-js's SSL
 * credentials (one module instance in the bundle) are made without certificate checks.
 */
function skipTlsVerification(): void {
  if (verificationSkipped) return;
  verificationSkipped = true;
  const g = require('@grpc/grpc-js') as typeof grpc;
  const createSsl = g.credentials.createSsl;
  g.credentials.createSsl = (ca, key, cert) =>
    createSsl(ca, key, cert, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
}

type Any = any;

/**
 * The roots node would have used: its own plus NODE_EXTRA_CA_CERTS, which bin/etcdctl keeps from node's
 * start-up (undefined: node's defaults are already right).
 */
function defaultRoots(): Buffer | undefined {
  const extra = (process as { kvEtcdctlExtraCa?: string }).kvEtcdctlExtraCa;
  if (!extra) return undefined;
  let pem: string;
  try {
    pem = require('node:fs').readFileSync(extra, 'utf8');
  } catch {
    return undefined; // node only warns about an unreadable file
  }
  return Buffer.from(
    `${(require('node:tls') as typeof import('node:tls')).rootCertificates.join('\n')}\n${pem}`,
  );
}

const READS = new Set([
  'Range',
  'LeaseTimeToLive',
  'LeaseLeases',
  'MemberList',
  'Status',
  'HashKV',
  'Hash',
  'Alarm',
  'UserGet',
  'UserList',
  'RoleGet',
  'RoleList',
]);

/** The text etcdctl prints for a failed call: etcd's own error description, or Go's context errors. */
export function rpcErrorText(e: unknown): string {
  const err = e as { code?: number; details?: string; message?: string; name?: string };
  if (typeof err?.code === 'number') {
    if (err.code === 4 || err.code === 14) return 'context deadline exceeded';
    if (err.code === 1) return 'context canceled';
    if (err.details) return err.details;
  }
  return err?.message ?? String(e);
}

export class Conn {
  readonly client: Client;
  private readonly transport: Transport;
  private readonly wireMethod: typeof import('@kv/client').wireMethod;
  private readonly endpoint: string | undefined;

  constructor(
    readonly opts: ConnOptions,
    endpoint?: string,
  ) {
    const { Client, wireMethod } = require('@kv/client') as typeof import('@kv/client');
    this.wireMethod = wireMethod;
    const fs = require('node:fs') as typeof import('node:fs');
    const t = opts.tls;
    const read = (p?: string) => {
      if (!p) return undefined;
      try {
        return fs.readFileSync(p);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
          code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code;
        throw new CtlError(ExitBadArgs, `open ${p}: ${why}`);
      }
    };
    if (t?.skipVerify) skipTlsVerification();
    const endpoints = endpoint ? [endpoint] : opts.endpoints;
    this.client = new Client({
      endpoints: t ? endpoints.map((e) => (/^\w+:\/\//.test(e) ? e : `https://${e}`)) : endpoints,
      auth: opts.user !== undefined ? { username: opts.user, password: opts.password ?? '' } : undefined,
      tls: t
        ? {
            ca: t.ca ? read(t.ca) : defaultRoots(),
            cert: read(t.cert),
            key: read(t.key),
            serverName: t.serverName,
          }
        : undefined,
      // etcd's gRPC server answers pings closer than 5s apart with GOAWAY (too_many_pings); grpc-go
      // clients ping only when idle, grpc-js on a fixed period, so the period is kept above that floor.
      keepAlive: { timeMs: Math.max(opts.keepAliveTimeMs, 10_000), timeoutMs: opts.keepAliveTimeoutMs },
      defaultTimeout: opts.commandTimeoutMs,
    });
    this.transport = this.client.transport;
    this.endpoint = endpoint;
  }

  /** A unary call bounded by --command-timeout (or timeoutMs). */
  unary(service: Service | 'Lock' | 'Election', method: string, req: Any, timeoutMs?: number): Promise<Any> {
    return this.transport.unary(this.wireMethod(service, method), req, {
      kind: READS.has(method) ? 'read' : 'write',
      timeout: timeoutMs ?? this.opts.commandTimeoutMs,
    });
  }

  bidi(service: Service, method: string): Promise<grpc.ClientDuplexStream<object, Any>> {
    return this.transport.bidiStream(this.wireMethod(service, method));
  }

  serverStream(
    service: Service | 'Election',
    method: string,
    req: Any,
  ): Promise<grpc.ClientReadableStream<Any>> {
    return this.transport.serverStream(this.wireMethod(service, method), req);
  }

  close(): void {
    this.client.close();
  }
}

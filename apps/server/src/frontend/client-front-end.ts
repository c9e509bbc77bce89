// The client port of a member: gRPC (h2c) and the HTTP/1.1 JSON gateway on one listener.
import type * as http from 'node:http';
import type * as net from 'node:net';
import * as promClient from 'prom-client';
import type { HandlerTable } from '../api/handlers';
import { etcdServices } from '../api/services';
import type { EtcdServerApi } from '../server-api';
import { GrpcServer } from './grpc-server';
import { h2RequestAdapter } from './h2-compat';
import { createHttpGateway, type MetricsSource } from './http-gateway';
import { type ClientTlsOptions, createClientListener, createTlsClientListener } from './listener';

/** gRPC framing overhead etcd allows on top of --max-request-bytes when receiving (embed.grpcOverheadBytes). */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export interface ClientFrontEndOptions {
  server: EtcdServerApi;
  /** --max-request-bytes (default 1.5 MiB). */
  maxRequestBytes?: number;
  /** --max-txn-ops (default 128). */
  maxTxnOps?: number;
  /** Served at GET /metrics; default prom-client's global registry. */
  metrics?: MetricsSource;
  /** Served at GET /version. */
  version?: { server: string; cluster: string };
  /** --max-concurrent-streams: streams per client HTTP/2 connection (0 or unset: 2^32-1, as etcd). */
  maxConcurrentStreams?: number;
  /** etcd's request timeout (5 s + 2 election timeouts), bounding the health probes' reads. */
  requestTimeoutMs?: number;
  /** Serve over TLS (https / gRPC with TLS) instead of plain HTTP and h2c. */
  tls?: ClientTlsOptions;
}

export class ClientFrontEnd {
  readonly grpc: GrpcServer;
  readonly http1: http.Server;
  readonly listener: net.Server;
  readonly table: HandlerTable;

  constructor(opts: ClientFrontEndOptions) {
    const maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.table = etcdServices(opts.server, { maxRequestBytes, maxTxnOps: opts.maxTxnOps ?? 128 });
    this.grpc = new GrpcServer({
      maxReceiveMessageLength: maxRequestBytes + GRPC_OVERHEAD_BYTES,
      maxConcurrentStreams: opts.maxConcurrentStreams,
      // HTTP/2 that is not gRPC (curl over TLS, h2c GET /health) gets the same JSON gateway as HTTP/1.1.
      fallback: h2RequestAdapter((req, res) => this.http1.emit('request', req, res)),
    });
    for (const entry of this.table.values()) {
      const m = entry.method;
      const def = {
        path: m.path,
        requestStream: m.requestStream,
        responseStream: m.responseStream,
        decode: m.deserializeRequest,
        encode: m.serializeResponse,
      };
      if (entry.unary !== null) this.grpc.addUnary(def, entry.unary);
      else this.grpc.addStream(def, entry.stream!);
    }
    this.http1 = createHttpGateway({
      table: this.table,
      server: opts.server,
      maxBodyBytes: maxRequestBytes + GRPC_OVERHEAD_BYTES,
      version: opts.version ?? { server: '3.4.23', cluster: '3.4.0' },
      metrics: opts.metrics ?? promClient.register,
      requestTimeoutMs: opts.requestTimeoutMs ?? 7000,
      maxConcurrentStreams: this.grpc.maxConcurrentStreams,
    });
    const targets = {
      h2: this.grpc.h2,
      http1: this.http1,
      maxConcurrentStreams: this.grpc.maxConcurrentStreams,
    };
    this.listener = opts.tls ? createTlsClientListener(targets, opts.tls) : createClientListener(targets);
  }

  /** Listens on host:port (port 0 = any free port) and resolves with the port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.listener.once('error', onError);
      this.listener.listen(port, host, () => {
        this.listener.off('error', onError);
        resolve((this.listener.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting, sends GOAWAY to gRPC clients and closes HTTP connections. */
  async close(): Promise<void> {
    // The listener's close waits for its connections, which are the servers' to end.
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.http1.closeIdleConnections();
    await this.grpc.close();
    this.http1.closeAllConnections();
    await closed;
  }
}

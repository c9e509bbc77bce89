import { completeConfig, type EtcdConfig, verifyConfig } from './config/config.js';
import { EtcdServer, type EtcdServerOptions } from './etcd-server/etcd-server.js';
import { serveClients } from './serve-clients.js';

/** A running member embedded in this process. */
export interface Etcd {
  server: EtcdServer;
  /** Stops the member: pending requests fail with "etcdserver: server stopped"; data stays on disk. */
  close(): Promise<void>;
}

export interface StartOptions extends EtcdServerOptions {
  /** Serve the client API (gRPC + JSON gateway) on the listen client URLs (default true). */
  serveClients?: boolean;
}

/** Serves clients for a started server; returns a function that stops serving. */
export type ClientFrontEnd = (server: EtcdServer, cfg: EtcdConfig) => Promise<() => Promise<void>>;

/** Starts a member in this process with etcd's defaults for anything not given. */
export async function startEtcd(config: Partial<EtcdConfig> = {}, opts: StartOptions = {}): Promise<Etcd> {
  const cfg = completeConfig(config);
  verifyConfig(cfg);
  const server = await EtcdServer.start(cfg, opts);
  let stopServing: (() => Promise<void>) | undefined;
  if (opts.serveClients !== false) {
    try {
      stopServing = await serveClients(server, cfg);
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  return {
    server,
    async close() {
      if (stopServing) await stopServing();
      await server.close();
    },
  };
}

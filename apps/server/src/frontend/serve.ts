// Serves a member's client URLs: one ClientFrontEnd (gRPC + JSON gateway on one port) per URL.
import { hostPortOf } from '../config/urls.js';
import type { EtcdServerApi } from '../server-api';
import { ClientFrontEnd } from './client-front-end';
import { asServerApi } from './core-adapter';

export interface ServeConfig {
  listenClientUrls: string[];
  maxRequestBytes: number;
  maxTxnOps: number;
}

/** Stops serving; `ports` are the bound ports, in the order of the URLs (useful with port 0). */
export type StopServing = (() => Promise<void>) & { ports: number[] };

/** Starts the client front end for `core` on every listen-client URL (http only for now). */
export async function serveClients(core: EtcdServerApi | object, cfg: ServeConfig): Promise<StopServing> {
  const server = asServerApi(core);
  const fronts: ClientFrontEnd[] = [];
  const ports: number[] = [];
  try {
    for (const url of cfg.listenClientUrls) {
      if (!url.startsWith('http://')) throw new Error(`client URL ${url}: only http:// is served so far`);
      const { host, port } = hostPortOf(url);
      const fe = new ClientFrontEnd({
        server,
        maxRequestBytes: cfg.maxRequestBytes,
        maxTxnOps: cfg.maxTxnOps,
      });
      ports.push(await fe.listen(port, host === 'localhost' || host === '' ? '127.0.0.1' : host));
      fronts.push(fe);
    }
  } catch (e) {
    await Promise.all(fronts.map((f) => f.close()));
    throw e;
  }
  const stop = async () => {
    await Promise.all(fronts.map((f) => f.close()));
  };
  return Object.assign(stop, { ports });
}

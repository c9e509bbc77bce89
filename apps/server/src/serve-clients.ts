import { hostPortOf } from './config/urls.js';
import type { ClientFrontEnd as ClientFrontEndFn } from './embed.js';
import { CLUSTER_VERSION, SERVER_VERSION } from './etcd-server/etcd-server.js';
import { ClientFrontEnd } from './frontend/client-front-end.js';
import type { ClientTlsOptions } from './frontend/listener.js';
import { grpcMetrics } from './metrics/grpc-metrics.js';
import { clientTlsOf } from './tls/member-tls.js';

/** Serves etcd's client API (gRPC + JSON gateway) on every --listen-client-urls address. */
export const serveClients: ClientFrontEndFn = async (server, cfg) => {
  const ends: ClientFrontEnd[] = [];
  let tls: ClientTlsOptions | undefined;
  const tlsOnce = () => {
    tls ??= clientTlsOf(cfg, (msg) => server.log.warn(msg));
    return tls;
  };
  if (cfg.metrics === 'extensive') grpcMetrics().enableHandlingTime();
  try {
    for (const url of cfg.listenClientUrls) {
      const { host, port } = hostPortOf(url);
      const fe = new ClientFrontEnd({
        server,
        maxRequestBytes: cfg.maxRequestBytes,
        maxTxnOps: cfg.maxTxnOps,
        maxConcurrentStreams: cfg.maxConcurrentStreams,
        requestTimeoutMs: 5000 + 2 * cfg.electionTimeoutMs,
        version: { server: SERVER_VERSION, cluster: CLUSTER_VERSION },
        tls: url.startsWith('https:') ? tlsOnce() : undefined,
      });
      const bound = await fe.listen(port, host === 'localhost' ? '127.0.0.1' : host);
      server.clientPorts.push(bound);
      ends.push(fe);
      server.log.info({ url, port: bound }, 'serving client traffic');
    }
  } catch (err) {
    await Promise.all(ends.map((e) => e.close()));
    throw err;
  }
  return async () => {
    await Promise.all(ends.map((e) => e.close()));
  };
};

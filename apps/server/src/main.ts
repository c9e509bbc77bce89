import { ConfigError, verifyConfig } from './config/config.js';
import { type ParsedArgs, parseArgs } from './config/parse-args.js';
import { createLogger } from './etcd-server/logger.js';
import { CLUSTER_VERSION, SERVER_VERSION } from './etcd-server/version.js';

const HELP = `Usage:

  etcd [flags]
    Start an etcd server.

  etcd gateway start [--endpoints=...] [--listen-addr=127.0.0.1:23790] [--retry-delay=1m]
    Start a TCP gateway that forwards connections to the endpoints in turn.

  etcd --version
    Show the version of etcd.

  etcd -h | --help
    Show the help information about etcd.

Member: --name, --data-dir, --wal-dir, --snapshot-count, --heartbeat-interval, --election-timeout,
  --listen-peer-urls, --listen-client-urls, --max-snapshots, --max-wals, --quota-backend-bytes,
  --max-txn-ops, --max-request-bytes, --max-concurrent-streams
Security: --cert-file, --key-file, --trusted-ca-file, --client-cert-auth, --auth-token, --auth-token-ttl
Clustering: --initial-advertise-peer-urls, --initial-cluster, --initial-cluster-state,
  --initial-cluster-token, --advertise-client-urls, --strict-reconfig-check, --pre-vote,
  --auto-compaction-retention, --auto-compaction-mode
Security: --cert-file, --key-file, --client-cert-auth, --trusted-ca-file, --auto-tls, --peer-cert-file,
  --peer-key-file, --peer-client-cert-auth, --peer-trusted-ca-file, --peer-cert-allowed-cn, --peer-auto-tls
Logging: --log-level
Every flag can also be given as an ETCD_* environment variable (e.g. ETCD_NAME).
`;

/** The etcd command: parses flags and environment, starts a member, stops it on SIGTERM/SIGINT. */
export async function runEtcd(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === 'gateway') return runGateway(argv.slice(1));
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  if (parsed.action === 'version') {
    process.stdout.write(
      `etcd Version: ${SERVER_VERSION}\nAPI Version: ${CLUSTER_VERSION.split('.').slice(0, 2).join('.')}\nNode Version: ${process.version}\n`,
    );
    return 0;
  }
  if (parsed.action === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const cfg = parsed.config;
  const log = createLogger(cfg.logLevel, cfg.name);
  for (const w of parsed.warnings) log.warn(w);
  let etcd: import('./embed.js').Etcd;
  try {
    // before loading the server, so that bad flag values (--auth-token's key files) answer at once
    verifyConfig(cfg);
    // Loaded only now, so --version and flag errors answer without loading the whole server.
    const { startEtcd } = await import('./embed.js');
    etcd = await startEtcd(cfg, { logger: log });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof ConfigError) {
      process.stderr.write(`${msg}\n`);
      return err.exitCode;
    }
    log.fatal({ err }, msg);
    log.flush();
    process.stderr.write(`etcd: ${msg}\n`);
    return 1;
  }
  log.info({ data: cfg.dataDir, clients: cfg.advertiseClientUrls }, 'ready to serve client requests');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'received signal; shutting down');
      etcd.close().then(
        () => resolve(0),
        (err) => {
          log.error({ err }, 'error while shutting down');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    etcd.server.done.then(() => {
      if (!stopping) {
        stopping = true;
        // etcd 3.4 exits 0 once a removed member has stopped (etcdmain returns on StopNotify); its own
        // e2e suite fails a member removal that ends in any other code. A fatal error stays 1.
        etcd.close().then(() => resolve(etcd.server.wasRemoved ? 0 : 1));
      }
    });
  });
}

/** `etcd gateway start`: the TCP gateway, until SIGTERM/SIGINT. */
async function runGateway(argv: string[]): Promise<number> {
  const { GatewayUsageError, parseGatewayArgs, startGateway } = await import('./gateway/tcp-gateway.js');
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway(parseGatewayArgs(argv), createLogger('info', 'gateway'));
  } catch (err) {
    if (!(err instanceof GatewayUsageError) && !(err as NodeJS.ErrnoException).code) throw err;
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = () => void gw.close().then(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

// `etcd gateway start`: etcd 3.4's layer-4 gateway. Every TCP connection to --listen-addr is spliced to one
// of --endpoints, taken in turn; an endpoint that refuses a dial is skipped for --retry-delay. It speaks
// no protocol, so gRPC, the JSON gateway and TLS pass through untouched.
import * as net from 'node:net';
import { parseDurationMs } from '../config/flags.js';
import type { Logger } from '../etcd-server/logger.js';

export interface GatewayOptions {
  listenAddr: string;
  endpoints: string[];
  retryDelayMs: number;
}

export class GatewayUsageError extends Error {}

/** Parses `gateway [flags] start [flags]` (cobra allows the flags on either side of the subcommand). */
export function parseGatewayArgs(argv: readonly string[]): GatewayOptions {
  const opts: GatewayOptions = {
    listenAddr: '127.0.0.1:23790',
    endpoints: ['127.0.0.1:2379'],
    retryDelayMs: 60_000,
  };
  let started = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      if (arg !== 'start' || started)
        throw new GatewayUsageError(`unknown command "${arg}" for "etcd gateway"`);
      started = true;
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = (): string => {
      if (eq >= 0) return body.slice(eq + 1);
      if (i + 1 >= argv.length) throw new GatewayUsageError(`flag needs an argument: --${name}`);
      return argv[++i]!;
    };
    switch (name) {
      case 'listen-addr':
        opts.listenAddr = value();
        break;
      case 'endpoints':
        opts.endpoints = value()
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        break;
      case 'retry-delay':
        opts.retryDelayMs = parseDurationMs(value());
        break;
      case 'discovery-srv':
      case 'discovery-srv-name':
      case 'trusted-ca-file':
        if (value() !== '') throw new GatewayUsageError(`--${name} (DNS discovery) is not implemented`);
        break;
      case 'insecure-discovery':
        break;
      default:
        throw new GatewayUsageError(`unknown flag: --${name}`);
    }
  }
  if (!started) throw new GatewayUsageError('usage: etcd gateway start [flags]');
  // A TCP proxy: URL endpoints lose their scheme, as etcd strips it.
  opts.endpoints = opts.endpoints.map((e) => {
    try {
      const u = new URL(e);
      if (u.host) return u.host;
    } catch {}
    return e;
  });
  if (opts.endpoints.length === 0) throw new GatewayUsageError('no endpoints found');
  return opts;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new GatewayUsageError(`error parsing endpoint "${addr}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

export interface RunningGateway {
  port: number;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions, log: Logger): Promise<RunningGateway> {
  const remotes = opts.endpoints.map((addr) => ({ addr, ...splitHostPort(addr), inactiveUntil: 0 }));
  let pickCount = 0;
  const pick = () => {
    const now = Date.now();
    for (let i = 0; i < remotes.length; i++) {
      const r = remotes[pickCount++ % remotes.length]!;
      if (r.inactiveUntil <= now) return r;
    }
    return undefined;
  };
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const dial = (client: net.Socket, tried: number): void => {
    const r = tried < remotes.length ? pick() : undefined;
    if (!r) {
      client.destroy();
      return;
    }
    const upstream = net.connect(r.port, r.host === 'localhost' ? '127.0.0.1' : r.host);
    const onDialError = (err: Error) => {
      r.inactiveUntil = Date.now() + opts.retryDelayMs;
      log.warn(
        { address: r.addr, interval: `${opts.retryDelayMs}ms`, error: err.message },
        'deactivated endpoint',
      );
      dial(client, tried + 1);
    };
    upstream.once('error', onDialError);
    upstream.once('connect', () => {
      upstream.off('error', onDialError);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.resume();
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    dial(client, 0);
  });
  const { host, port } = splitHostPort(opts.listenAddr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => resolve());
  });
  log.info({ endpoints: opts.endpoints }, 'ready to proxy client requests');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// etcdctl's global flags (every command accepts them) and how ETCDCTL_* environment variables fill
// the ones not given on the command line.
import { parseGoDuration } from './go-format';
import { hotFlags } from './hot-flags';

/** pflag definitions of the global flags (derived from oclif/declarations.ts's baseFlags) */
export const globalFlags = hotFlags.globals;

export interface Globals {
  endpoints: string[];
  writeOut: string;
  hex: boolean;
  debug: boolean;
  dialTimeoutMs: number;
  commandTimeoutMs: number;
  keepAliveTimeMs: number;
  keepAliveTimeoutMs: number;
  insecureTransport: boolean;
  insecureSkipVerify: boolean;
  cert?: string;
  key?: string;
  cacert?: string;
  user?: string;
  password?: string;
  discoverySrv?: string;
}

/** ETCDCTL_DIAL_TIMEOUT for --dial-timeout, as etcd's pkg/flags names them. */
export function envName(flag: string): string {
  return `ETCDCTL_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export class FlagValueError extends Error {}

function duration(name: string, v: string): number {
  const ms = parseGoDuration(v);
  if (Number.isNaN(ms))
    throw new FlagValueError(`invalid argument "${v}" for "--${name}" flag: time: invalid duration "${v}"`);
  return ms;
}

function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(String(v));
}

/**
 * Resolves the global flags: command line first, then ETCDCTL_* for flags not given.
 * `given` holds the names of flags that appeared on the command line.
 */
export function resolveGlobals(
  flags: Record<string, unknown>,
  given: Set<string>,
  env = process.env,
): Globals {
  const get = (name: string): unknown => {
    if (!given.has(name)) {
      const e = env[envName(name)];
      if (e !== undefined && e !== '') return e;
    }
    return flags[name];
  };
  const str = (name: string) => {
    const v = get(name);
    return v === undefined ? undefined : String(v);
  };
  return {
    endpoints: String(get('endpoints'))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    writeOut: String(get('write-out')),
    hex: bool(get('hex')),
    debug: bool(get('debug')),
    dialTimeoutMs: duration('dial-timeout', String(get('dial-timeout'))),
    commandTimeoutMs: duration('command-timeout', String(get('command-timeout'))),
    keepAliveTimeMs: duration('keepalive-time', String(get('keepalive-time'))),
    keepAliveTimeoutMs: duration('keepalive-timeout', String(get('keepalive-timeout'))),
    insecureTransport: bool(get('insecure-transport')),
    insecureSkipVerify: bool(get('insecure-skip-tls-verify')),
    cert: str('cert'),
    key: str('key'),
    cacert: str('cacert'),
    user: str('user'),
    password: str('password'),
    discoverySrv: str('discovery-srv'),
  };
}

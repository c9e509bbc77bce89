// Runs a command's logic once its command line is parsed: the global flags resolved (command line,
// then ETCDCTL_*), the printer and connections made on first use. Both paths call it: get/put/del's
// fast path (main.ts) and the oclif Commands (oclif/base.ts).
import type { CommandSpec, Ctx } from './command';
import type { Conn } from './conn';
import type { ConnOptions } from './conn-options';
import { CtlError, ExitBadArgs, ExitBadConnection, ExitBadFeature, ExitError } from './exit-codes';
import { envName, type Globals, globalFlags } from './global-flags';
import type { Parsed } from './pflag';
import { newPrinter, type Printer } from './printer';

export async function runSpec(
  id: string,
  spec: CommandSpec,
  parsed: Parsed,
  globals: Globals,
): Promise<void> {
  const given = parsed.given;
  const found = { id };
  // watch and lock run what follows `--`; for the others it is more positional arguments
  const dashArgs = spec.runsDashArgs ? parsed.dashArgs : undefined;
  const args = spec.runsDashArgs ? parsed.args : [...parsed.args, ...(parsed.dashArgs ?? [])];
  let conn: Conn | undefined;
  let kv: Pick<Conn, 'unary' | 'close'> | undefined;
  const conns: Conn[] = [];
  let printer: Printer | undefined;
  const makeConn = (endpoint?: string): Conn => {
    const opts = connOptions(globals, given);
    mark('connecting');
    const { Conn } = require('./conn') as typeof import('./conn');
    const c = new Conn(opts, endpoint);
    mark('client created');
    conns.push(c);
    return c;
  };
  const ctx: Ctx = {
    globals,
    given,
    dashArgs,
    printer(valueOnly = false) {
      if (!printer) {
        checkEnv(given, found.id === 'watch');
        const p = newPrinter(globals.writeOut, globals.hex, valueOnly);
        if (!p) throw new CtlError(ExitBadFeature, 'unsupported output format');
        printer = p;
      }
      return printer;
    },
    conn() {
      if (!conn) {
        this.printer();
        conn = makeConn();
      }
      return conn;
    },
    kv() {
      if (!kv) {
        this.printer();
        const opts = connOptions(globals, given);
        const { LeanConn } = require('./lean-conn') as typeof import('./lean-conn');
        kv = LeanConn.create(opts, () => this.conn()) ?? this.conn();
      }
      return kv;
    },
    connTo(endpoint: string) {
      this.printer();
      return makeConn(endpoint);
    },
  };
  mark('flags parsed');
  await spec.run(ctx, args, parsed.flags);
  mark('command done');
  if (kv && kv !== conn) kv.close();
  for (const c of conns) c.close();
}

/** KV_ETCDCTL_TIMING=1 prints where start-up time goes (ms since process start). */
export function mark(what: string): void {
  if (process.env.KV_ETCDCTL_TIMING)
    process.stderr.write(`timing: ${performance.now().toFixed(1)} ms (cpu ${cpuMs()}) ${what}\n`);
}

function connOptions(g: Globals, given: Set<string>): ConnOptions {
  for (const f of ['cert', 'key', 'cacert'] as const) {
    if (given.has(f) && g[f] === '')
      throw new CtlError(ExitBadArgs, `empty string is passed to --${f} option`);
  }

  const tls =
    g.cert || g.key || g.cacert || g.discoverySrv || !g.insecureTransport
      ? {
          ca: g.cacert,
          cert: g.cert,
          key: g.key,
          skipVerify: g.insecureSkipVerify,
          serverName: g.discoverySrv,
        }
      : undefined;
  let user: string | undefined;
  let password: string | undefined;
  if (g.user) {
    if (g.password) {
      user = g.user;
      password = g.password;
    } else {
      const i = g.user.indexOf(':');
      if (i < 0)
        throw new CtlError(ExitError, 'password is required: pass --password or --user=name:password');
      user = g.user.slice(0, i);
      password = g.user.slice(i + 1);
    }
  }
  return {
    endpoints: g.endpoints,
    dialTimeoutMs: g.dialTimeoutMs,
    commandTimeoutMs: g.commandTimeoutMs,
    keepAliveTimeMs: g.keepAliveTimeMs,
    keepAliveTimeoutMs: g.keepAliveTimeoutMs,
    tls,
    user,
    password,
  };
}

function goTimestamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

/** etcd's pkg/flags: a flag given twice (command line and ETCDCTL_*) is fatal; unknown ETCDCTL_* warn. */
function checkEnv(given: Set<string>, isWatch: boolean): void {
  const known = new Set(Object.keys(globalFlags).map(envName));
  if (isWatch) known.add('ETCDCTL_WATCH_KEY').add('ETCDCTL_WATCH_RANGE_END');
  for (const name of given) {
    const env = envName(name);
    if (known.has(env) && process.env[env] !== undefined) {
      process.stderr.write(
        `${goTimestamp()} C | pkg/flags: conflicting environment variable "${env}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)\n`,
      );
      process.exit(1);
    }
  }
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ETCDCTL_') && k !== 'ETCDCTL_API' && !known.has(k))
      process.stderr.write(`${goTimestamp()} W | pkg/flags: unrecognized environment variable ${k}=${v}\n`);
  }
}

export function fail(e: unknown): never {
  if ((e as Error)?.name === 'AuthFailedError') {
    // clientv3.New authenticates while connecting; its failure is a bad connection
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    process.exit(ExitBadConnection);
  }
  if (e instanceof CtlError) {
    process.stderr.write(`Error: ${e.message}\n`);
    process.exit(e.code);
  }
  const { rpcErrorText } = require('./conn') as typeof import('./conn');
  process.stderr.write(`Error: ${rpcErrorText(e)}\n`);
  process.exit(ExitError);
}

/** Exits once stdout has taken everything (a pipe's writes are asynchronous: exit would cut them off). */
export function exitFlushed(code: number): void {
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.write('', () => process.exit(code));
}

function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(0);
}

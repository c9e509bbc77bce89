// Entry point of the bundled CLI: finds the command in the explicit map, parses flags as pflag does
// (global flags + the command's own), and maps failures to etcdctl's "Error:" lines and exit codes.
import type { CommandSpec, Ctx, FlagDefs } from './command';
import { aliases, commands } from './commands';
import type { Conn } from './conn';
import type { ConnOptions } from './conn-options';
import { CtlError, ExitBadArgs, ExitBadConnection, ExitBadFeature, ExitError } from './exit-codes';
import { asFlagDef } from './flags';
import { envName, FlagValueError, type Globals, globalFlags, resolveGlobals } from './global-flags';
import { FlagError, type Parsed, parse } from './pflag';
import { newPrinter, type Printer } from './printer';

if (process.env.KV_ETCDCTL_TIMING)
  process.stderr.write(`timing: ${performance.now().toFixed(1)} ms main evaluated\n`);

/** Global flags that take a value (so `--endpoints x` consumes x when finding the command words). */
const valueFlags = new Set(
  Object.entries(globalFlags)
    .filter(([, f]) => f.kind !== 'bool')
    .flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])]),
);

interface Found {
  id: string;
  rest: string[];
}

/** cobra's command lookup: the first one or two words that are not flags, prefix matching allowed. */
export function findCommand(argv: string[]): Found | { error: string } {
  const words: Array<{ word: string; at: number }> = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && valueFlags.has(a)) i++;
      continue;
    }
    words.push({ word: a, at: i });
  }
  if (words.length === 0) return { error: '' };
  const ids = Object.keys(commands);
  const pick = (cands: string[], w: string): string | undefined => {
    if (cands.includes(w)) return w;
    const pre = cands.filter((c) => c.startsWith(w));
    return pre.length === 1 ? pre[0] : undefined;
  };
  const first = words[0].word;
  if (aliases[first]) return { id: aliases[first], rest: argv.filter((_, i) => i !== words[0].at) };
  const tops = [...new Set(ids.map((id) => id.split(' ')[0]))];
  const top = pick(tops, first);
  if (!top) return { error: `unknown command "${first}" for "etcdctl"` };
  if (commands[top]) return { id: top, rest: argv.filter((_, i) => i !== words[0].at) };
  const subs = ids.filter((id) => id.startsWith(`${top} `)).map((id) => id.slice(top.length + 1));
  const second = words[1]?.word;
  const sub = second === undefined ? undefined : pick(subs, second);
  if (!sub) return { error: `group:${top}` };
  return { id: `${top} ${sub}`, rest: argv.filter((_, i) => i !== words[0].at && i !== words[1].at) };
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

async function main(argv: string[]): Promise<void> {
  const api = process.env.ETCDCTL_API;
  if (api !== undefined && api !== '' && api !== '3') {
    process.stderr.write(`unsupported API version ${api}\n`);
    process.exit(1);
  }
  const helpFor = helpTopic(argv);
  if (helpFor) return printHelp(helpFor.id, undefined, helpFor.helpFlag);
  const found = findCommand(argv);
  if ('error' in found) {
    if (found.error === '' || found.error.startsWith('group:')) {
      const id = found.error.slice(6);
      // a flag error there is still cobra's (etcdctl -w): the root or group has only the global flags
      try {
        parse(
          argv.filter((a) => a !== id && !id.split(' ').includes(a)),
          globalFlags,
        );
      } catch (e) {
        if (e instanceof FlagError) usageError(id, undefined, e.message);
        throw e;
      }
      return printHelp(id);
    }
    process.stderr.write(`Error: ${found.error}\nRun 'etcdctl --help' for usage.\n`);
    process.stderr.write(`Error: ${found.error}\n`);
    process.exit(ExitError);
  }
  const spec: CommandSpec = commands[found.id]();
  const flagDefs: FlagDefs = { ...globalFlags };
  for (const [n, d] of Object.entries(spec.flags ?? {})) flagDefs[n] = asFlagDef(d);
  mark('command found');
  let parsed: Parsed;
  try {
    parsed = parse(found.rest, flagDefs);
  } catch (e) {
    if (e instanceof FlagError) usageError(found.id, spec, e.message);
    throw e;
  }
  const given = parsed.given;
  if (parsed.flags.help) return printHelp(found.id, spec);
  let globals: Globals;
  try {
    globals = resolveGlobals(parsed.flags, given);
  } catch (e) {
    if (e instanceof FlagValueError) usageError(found.id, spec, e.message);
    throw e;
  }
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

/** `etcdctl help [command]`: the command path to show help for, or undefined when it is not help. */
function helpTopic(argv: string[]): { id: string; helpFlag: boolean } | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (words[0] !== 'help') return undefined;
  const topic = words.slice(1);
  if (topic.length === 0) return { id: '', helpFlag: true };
  const found = findCommand(topic);
  if (!('error' in found)) return { id: found.id, helpFlag: true };
  if (found.error.startsWith('group:')) return { id: found.error.slice(6), helpFlag: true };
  process.stderr.write(`Unknown help topic [\`${topic.join(' ')}\`]\n`);
  // cobra adds the root's --help flag only when it first parses the root's flags, which this path skips
  return { id: '', helpFlag: false };
}

function printHelp(id: string, spec?: CommandSpec, withHelpFlag = true): void {
  const { helpText } = require('./help') as typeof import('./help');
  process.stdout.write(
    helpText(id, spec?.flags ?? (commands[id] ? commands[id]().flags : undefined), withHelpFlag),
  );
}

/** cobra prints the flag error and the command's help, then etcdctl prints the error again */
function usageError(id: string, spec: CommandSpec | undefined, msg: string): never {
  process.stderr.write(`Error: ${msg}\n`);
  printHelp(id, spec);
  process.stderr.write(`\nError: ${msg}\n`);
  process.exit(ExitError);
}

/** KV_ETCDCTL_TIMING=1 prints where start-up time goes (ms since process start). */
function mark(what: string): void {
  if (process.env.KV_ETCDCTL_TIMING)
    process.stderr.write(`timing: ${performance.now().toFixed(1)} ms ${what}\n`);
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

function fail(e: unknown): never {
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
function exitFlushed(code: number): void {
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(
  () => exitFlushed(Number(process.exitCode ?? 0)),
  (e) => fail(e),
);

// Every command's flags and arguments, declared with oclif's Flags and Args. A value flag's
// `helpValue` is its pflag type name (string, int, duration, strings): pflag.ts parses by it
// (flags.ts derives the definitions) and help.ts shows defaults as pflag does. Descriptions are
// etcdctl 3.4's words (help-text.ts). hot-flags.ts is generated from this module for get/put/del.
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type { FlagInput } from '@oclif/core/interfaces';
import { commandHelp, globalFlagHelp } from '../help-text';

const str = (def = '', char?: 'w' | 'd') => Flags.string({ default: def, helpValue: 'string', char });
const opt = () => Flags.string({ helpValue: 'string' });
const int = (def = 0) => Flags.integer({ default: def, helpValue: 'int' });
const bool = (def = false, char?: 'h' | 'l' | 'i') => Flags.boolean({ default: def, char });
const duration = (def: string) => Flags.string({ default: def, helpValue: 'duration' });
const strings = (def: string) => Flags.string({ default: def, helpValue: 'strings' });

function described<T extends Record<string, { description?: string }>>(
  flags: T,
  words: Record<string, string> = {},
): T {
  for (const [name, f] of Object.entries(flags)) f.description = words[name];
  return flags;
}

/** etcdctl's global flags (oclif's baseFlags: every command takes them) */
export const globalFlagDecls = described(
  {
    endpoints: strings('127.0.0.1:2379'),
    debug: bool(),
    'write-out': str('simple', 'w'),
    hex: bool(),
    'dial-timeout': duration('2s'),
    'command-timeout': duration('5s'),
    'keepalive-time': duration('2s'),
    'keepalive-timeout': duration('6s'),
    'insecure-transport': bool(true),
    'insecure-discovery': bool(true),
    'insecure-skip-tls-verify': bool(),
    cert: opt(),
    key: opt(),
    cacert: opt(),
    user: opt(),
    password: opt(),
    'discovery-srv': Flags.string({ char: 'd', helpValue: 'string' }),
    'discovery-srv-name': opt(),
    help: bool(false, 'h'),
  },
  { ...globalFlagHelp, help: 'help for etcdctl' },
);

const cluster = () => ({ cluster: bool() });
const perm = () => ({ prefix: bool(), 'from-key': bool() });

const own: Record<string, FlagInput> = {
  get: {
    consistency: str('l'),
    order: str(),
    'sort-by': str(),
    limit: int(),
    prefix: bool(),
    'from-key': bool(),
    rev: int(),
    'keys-only': bool(),
    'count-only': bool(),
    'print-value-only': bool(),
  },
  put: { lease: str('0'), 'prev-kv': bool(), 'ignore-value': bool(), 'ignore-lease': bool() },
  del: { prefix: bool(), 'prev-kv': bool(), 'from-key': bool() },
  txn: { interactive: bool(false, 'i') },
  compaction: { physical: bool() },
  watch: {
    interactive: bool(false, 'i'),
    prefix: bool(),
    rev: int(),
    'prev-kv': bool(),
    'progress-notify': bool(),
  },
  'lease timetolive': { keys: bool() },
  'lease keep-alive': { once: bool() },
  lock: { ttl: int(10) },
  elect: { listen: bool(false, 'l') },
  'member add': { 'peer-urls': str(), learner: bool() },
  'member update': { 'peer-urls': str() },
  'endpoint health': cluster(),
  'endpoint status': cluster(),
  'endpoint hashkv': { ...cluster(), rev: int() },
  'snapshot restore': {
    'data-dir': str(),
    'wal-dir': str(),
    name: str('default'),
    'initial-cluster': str('default=http://localhost:2380'),
    'initial-cluster-token': str('etcd-cluster'),
    'initial-advertise-peer-urls': str('http://localhost:2380'),
    'skip-hash-check': bool(),
  },
  defrag: { cluster: bool(), 'data-dir': str() },
  'check perf': {
    load: str('s'),
    prefix: str('/etcdctl-check-perf/'),
    'auto-compact': bool(),
    'auto-defrag': bool(),
  },
  'user add': { interactive: bool(true), 'new-user-password': str(), 'no-password': bool() },
  'user get': { detail: bool() },
  'user passwd': { interactive: bool(true) },
  'role grant-permission': perm(),
  'role revoke-permission': perm(),
};

/** A command's own flags (not the global ones), described with etcdctl's words. */
export function flagDecls(id: string) {
  const group = commandHelp[id.split(' ')[0]];
  return described(own[id] ?? {}, { ...group?.flags, ...commandHelp[id]?.flags });
}

/** A command's positional arguments, named as its USAGE line names them (all optional: each command words its own argument errors, as etcdctl's do). */
export function argDecls(id: string) {
  const use = commandHelp[id]?.use ?? '';
  const args: Record<string, ReturnType<typeof Args.string>> = {};
  for (const m of use.matchAll(/<([^>]+)>|\[([^\]]+)\]/g)) {
    const name = (m[1] ?? m[2]).trim();
    if (name === 'options' || name === 'flags') continue;
    args[name] = Args.string({ description: name, required: false });
  }
  return args;
}

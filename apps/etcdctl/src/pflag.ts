// The command line as spf13/pflag reads it (cobra's parser, so etcdctl's): --name=value, --name value,
// -x value, -xvalue, grouped boolean shorthands (-ih), --bool=false, flags anywhere among the
// arguments, and `--` ending the flags. Errors carry pflag's own wording, which etcdctl prints.
import type { FlagDef } from './flags';

export interface Parsed {
  flags: Record<string, string | number | boolean | undefined>;
  /** positional arguments before `--` */
  args: string[];
  /** arguments after `--` (undefined when there was none) */
  dashArgs: string[] | undefined;
  /** names of the flags the command line gave */
  given: Set<string>;
}

export class FlagError extends Error {}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** how pflag names a flag in "invalid argument" errors */
function display(name: string, def: FlagDef): string {
  return def.char ? `-${def.char}, --${name}` : `--${name}`;
}

function convert(name: string, def: FlagDef, raw: string): string | number | boolean {
  const bad = (why: string) =>
    new FlagError(`invalid argument "${raw}" for "${display(name, def)}" flag: ${why}`);
  switch (def.kind) {
    case 'bool':
      if (TRUE.has(raw)) return true;
      if (FALSE.has(raw)) return false;
      throw bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
    case 'int': {
      // strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, underscores only with a prefix
      const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9]*|0)$/.exec(raw);
      if (!m) throw bad(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      let digits = m[2].replace(/_/g, '');
      if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
      const n = BigInt(digits);
      const v = m[1] === '-' ? -n : n;
      if (v > 2n ** 63n - 1n || v < -(2n ** 63n))
        throw bad(`strconv.ParseInt: parsing "${raw}": value out of range`);
      return Number(v);
    }
    default:
      return raw;
  }
}

export function parse(argv: string[], defs: Record<string, FlagDef>): Parsed {
  const flags: Parsed['flags'] = {};
  for (const [name, def] of Object.entries(defs)) flags[name] = def.default;
  const byChar = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) if (def.char) byChar.set(def.char, name);
  const given = new Set<string>();
  const args: string[] = [];
  const set = (name: string, raw: string) => {
    const def = defs[name];
    const v = convert(name, def, raw);
    // a StringSlice given twice appends (pflag); other flags keep the last value
    flags[name] = def.kind === 'strings' && given.has(name) ? `${flags[name]},${v}` : v;
    given.add(name);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { flags, args, dashArgs: argv.slice(i + 1), given };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const def = defs[name];
      if (!def || name === '') throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(name, a.slice(eq + 1));
      else if (def.kind === 'bool') set(name, 'true');
      else if (i + 1 < argv.length) set(name, argv[++i]);
      else throw new FlagError(`flag needs an argument: --${name}`);
    } else if (a.startsWith('-') && a.length > 1) {
      // -abc: each letter a shorthand until one takes a value (the rest of the word or the next word)
      let rest = a.slice(1);
      while (rest.length > 0) {
        const c = rest[0];
        const name = byChar.get(c);
        if (!name) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
        const def = defs[name];
        if (rest[1] === '=') {
          set(name, rest.slice(2));
          break;
        }
        if (def.kind === 'bool') {
          set(name, 'true');
          rest = rest.slice(1);
        } else if (rest.length > 1) {
          set(name, rest.slice(1));
          break;
        } else if (i + 1 < argv.length) {
          set(name, argv[++i]);
          break;
        } else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      }
    } else args.push(a);
  }
  return { flags, args, dashArgs: undefined, given };
}

// Flag definitions in pflag's terms (the parser is pflag.ts, the help layout help.ts). The option
// shape follows oclif's Flags helpers, so command files read as before.

export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'strings';

export interface FlagDef {
  kind: FlagKind;
  /** the value when the flag is not given (pflag shows it in help as the flag's default) */
  default: string | number | boolean | undefined;
  char?: string;
}

interface Options<T> {
  default?: T;
  char?: string;
  /** accepted for oclif compatibility: pflag has no --no-x form */
  allowNo?: boolean;
  multiple?: boolean;
}

export const string = (o: Options<string> = {}): FlagDef => ({
  kind: 'string',
  default: o.default,
  char: o.char,
});
export const boolean = (o: Options<boolean> = {}): FlagDef => ({
  kind: 'bool',
  default: o.default ?? false,
  char: o.char,
});
export const integer = (o: Options<number> = {}): FlagDef => ({
  kind: 'int',
  default: o.default ?? 0,
  char: o.char,
});
/** a Go time.Duration flag: kept as its text (global-flags.ts parses it, with ETCDCTL_* values) */
export const duration = (o: Options<string> = {}): FlagDef => ({
  kind: 'duration',
  default: o.default,
  char: o.char,
});
/** a pflag StringSlice: comma-separated, shown as [a,b] */
export const strings = (o: Options<string> = {}): FlagDef => ({
  kind: 'strings',
  default: o.default,
  char: o.char,
});

/**
 * A definition made with oclif's Flags helpers (a command written before this module) in pflag's
 * terms: its booleans are bools, everything else a string.
 */
export function asFlagDef(def: FlagDef | { type?: string; default?: unknown; char?: string }): FlagDef {
  if ('kind' in def) return def;
  const o = def as { type?: string; default?: unknown; char?: string };
  return o.type === 'boolean'
    ? { kind: 'bool', default: o.default === true, char: o.char }
    : { kind: 'string', default: o.default === undefined ? undefined : String(o.default), char: o.char };
}

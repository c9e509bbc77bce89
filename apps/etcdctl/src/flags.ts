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

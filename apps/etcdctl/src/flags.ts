// Flag definitions in pflag's terms, as pflag.ts parses them and help.ts lists them. They are derived
// from the oclif flags the commands declare (oclif/declarations.ts) or from oclif's cached form of
// them (the manifest Config.load builds): a boolean is a pflag bool, a value flag's helpValue names
// its pflag type. This module does not load oclif: get/put/del use it on their fast path.

export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'strings';

export interface FlagDef {
  kind: FlagKind;
  /** the value when the flag is not given (pflag shows it in help as the flag's default) */
  default?: string | number | boolean;
  char?: string;
}

/** the parts of an oclif flag (declared or cached) that pflag needs */
export interface OclifFlagLike {
  type?: string;
  default?: unknown;
  char?: string;
  helpValue?: string | string[];
}

const kinds = new Set<FlagKind>(['string', 'int', 'duration', 'strings']);

export function asFlagDef(f: OclifFlagLike): FlagDef {
  if (f.type === 'boolean') return { kind: 'bool', default: f.default === true, char: f.char };
  const hv = Array.isArray(f.helpValue) ? f.helpValue[0] : f.helpValue;
  const kind = kinds.has(hv as FlagKind) ? (hv as FlagKind) : 'string';
  const d = f.default;
  return {
    kind,
    default: d === undefined || typeof d === 'function' ? undefined : kind === 'int' ? Number(d) : String(d),
    char: f.char,
  };
}

export function asFlagDefs(flags: Record<string, OclifFlagLike> = {}): Record<string, FlagDef> {
  const out: Record<string, FlagDef> = {};
  for (const [name, f] of Object.entries(flags)) out[name] = asFlagDef(f);
  return out;
}

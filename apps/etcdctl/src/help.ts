// etcdctl 3.4's help pages (its cobra usage template): NAME, USAGE, VERSION and API VERSION for the
// root and command groups, COMMANDS, DESCRIPTION, OPTIONS and GLOBAL OPTIONS with pflag's flag lines,
// laid out by Go's tabwriter. The words come from help-text.ts; flags and defaults from our own defs.
import type { FlagDef } from './flags';
import { globalFlags } from './global-flags';
import { apiVersion, commandHelp, etcdctlVersion, globalFlagHelp, rootShort } from './help-text';
import { tabwrite } from './tab-writer';

/** pflag's line for one flag: "  -w, --write-out=\"simple\"\tset the output format ..." */
function flagLine(name: string, def: FlagDef, usage: string): string {
  let s = def.char ? `  -${def.char}, --${name}` : `      --${name}`;
  const d = def.default;
  if (def.kind === 'bool') s += `[=${d === true}]`;
  else if (def.kind === 'string') s += `="${d ?? ''}"`;
  else if (def.kind === 'strings') s += `=[${d ?? ''}]`;
  else s += `=${d ?? 0}`;
  return `${s}\t${usage}`;
}

type Flag = [name: string, def: FlagDef, usage: string];

function flagLines(flags: Flag[]): string {
  return flags
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, d, u]) => `${flagLine(n, d, u)}\n`)
    .join('');
}

/** ids of commands that have subcommands (help-text knows every etcdctl command) */
function isGroup(id: string): boolean {
  return Object.keys(commandHelp).some((c) => c.startsWith(`${id} `));
}

/**
 * The help page of a command path ('' for etcdctl itself). `own` are the command's flags (without
 * globals); only flags that etcdctl 3.4 has (help-text describes) are shown.
 */
export function helpText(id: string, own: Record<string, FlagDef> = {}, withHelpFlag = true): string {
  const root = id === '';
  const h = root ? { short: rootShort, use: '' } : commandHelp[id];
  const name = id.split(' ').pop() || 'etcdctl';
  const group = root || isGroup(id);
  let s = `NAME:\n\t${root ? 'etcdctl' : id} - ${h.short}\n\nUSAGE:\n\tetcdctl${root ? '' : ` ${id}`}${h.use ? ` ${h.use}` : ''} [flags]\n`;
  if (root) s += `\nVERSION:\n\t${etcdctlVersion}\n`;
  if (group) {
    s += `\nAPI VERSION:\n\t${apiVersion}\n\n\nCOMMANDS:\n`;
    const subs = Object.keys(commandHelp)
      .filter((c) => (root || c.startsWith(`${id} `)) && !isGroup(c))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const c of subs) s += `\t${root ? c : c.slice(id.length + 1)}\t${commandHelp[c].short}\n`;
  }
  if (h.long)
    s += `\nDESCRIPTION:\n${h.long
      .split('\n')
      .map((l) => `\t${l}\n`)
      .join('')}`;
  const help: Flag = ['help', { kind: 'bool', default: false, char: 'h' }, `help for ${name}`];
  const globals: Flag[] = Object.entries(globalFlags)
    .filter(([n]) => n !== 'help')
    .map(([n, d]) => [n, d, globalFlagHelp[n]]);
  // a group's own flags (endpoint --cluster) are its subcommands' inherited ones
  const words = id.split(' ');
  const parent = words.length > 1 ? commandHelp[words[0]] : undefined;
  const inherited = Object.keys(parent?.flags ?? {});
  const local: Flag[] = [help];
  for (const [n, d] of Object.entries(own)) {
    const usage = h.flags?.[n] ?? parent?.flags?.[n];
    if (usage === undefined) continue;
    (inherited.includes(n) ? globals : local).push([n, d, usage]);
  }
  if (root) s += `\nOPTIONS:\n${flagLines(withHelpFlag ? [...globals, help] : globals)}`;
  else {
    // a group shows the flags it hands down as its own
    if (group)
      for (const [n, u] of Object.entries(h.flags ?? {}))
        local.push([n, { kind: 'bool', default: false }, u]);
    s += `\nOPTIONS:\n${flagLines(local)}\nGLOBAL OPTIONS:\n${flagLines(globals)}`;
  }
  return tabwrite(`${s}\n`);
}

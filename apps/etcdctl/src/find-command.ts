// cobra's command resolution (etcdctl's): the first one or two words that are not flags, a unique
// prefix of a command name standing for it, and the `revoke` shorthand. oclif's own lookup matches
// whole ids only, so both paths resolve here and hand oclif the id.
import { aliases, commands } from './commands';
import { globalFlags } from './global-flags';

/** Global flags that take a value (so `--endpoints x` consumes x when finding the command words). */
const valueFlags = new Set(
  Object.entries(globalFlags)
    .filter(([, f]) => f.kind !== 'bool')
    .flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])]),
);

export interface Found {
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

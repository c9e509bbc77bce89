// A short usage text (etcdctl's full cobra help is not reproduced).
import { commands } from './commands';

export function printUsage(group: string): void {
  const ids = Object.keys(commands).filter((id) => group === '' || id === group || id.startsWith(`${group} `));
  let s = 'NAME:\n\tetcdctl - A simple command line client for etcd3.\n\nUSAGE:\n\tetcdctl [flags]\n\nCOMMANDS:\n';
  for (const id of ids) s += `\t${id}\n`;
  process.stdout.write(s);
}

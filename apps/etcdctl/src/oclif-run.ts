// The oclif side of the CLI: Config.load (explicit command discovery from package.json's "oclif"
// section: no plugins, no directory or manifest scanning), oclif's help class for help pages, and
// config.runCommand for the commands. The id is resolved by find-command.ts, as cobra resolves it
// (unique prefixes, `revoke`), which oclif's lookup does not do.
import { join } from 'node:path';
import { Config } from '@oclif/core/config';
import { loadHelpClass } from '@oclif/core/help';
import { settings } from '@oclif/core/settings';
import { bundleDir } from './code-cache';
import { findCommand } from './find-command';
import { globalFlags } from './global-flags';
import { COMMANDS } from './oclif/commands';
import { EtcdctlHelp } from './oclif/help';
import { FlagError, parse } from './pflag';
import { mark } from './run-command';
import { usageError } from './usage';

/** Where oclif's loader finds the classes of this bundle (see oclif-commands.ts). */
export const registry = Symbol.for('@kv/etcdctl:oclif');

export async function runOclif(argv: string[]): Promise<void> {
  // dist/ holds compiled JavaScript only: oclif must not look for TypeScript sources and ts-node
  settings.enableAutoTranspile = false;
  (globalThis as Record<symbol, unknown>)[registry] = { COMMANDS, EtcdctlHelp };
  mark('oclif loaded');
  const config = await Config.load({ root: join(bundleDir(), '..') });
  mark('oclif config loaded');
  const help = async (args: string[]) => {
    const Help = await loadHelpClass(config);
    await new Help(config).showHelp(args);
  };
  if (argv.filter((a) => !a.startsWith('-'))[0] === 'help') return help(argv);
  const found = findCommand(argv);
  if ('error' in found) {
    if (found.error === '' || found.error.startsWith('group:')) {
      const id = found.error.slice(6);
      // a flag error there is still cobra's (etcdctl -w): the root or a group has only the global flags
      try {
        parse(
          argv.filter((a) => a !== id && !id.split(' ').includes(a)),
          globalFlags,
        );
      } catch (e) {
        if (e instanceof FlagError) await usageError(e.message, () => help(id ? id.split(' ') : []));
        throw e;
      }
      return help(id ? id.split(' ') : []);
    }
    process.stderr.write(`Error: ${found.error}\nRun 'etcdctl --help' for usage.\n`);
    process.stderr.write(`Error: ${found.error}\n`);
    process.exit(1);
  }
  mark('command found');
  await config.runCommand(found.id.replace(/ /g, ':'), found.rest);
}

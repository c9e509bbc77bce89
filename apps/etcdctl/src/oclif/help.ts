// The CLI's oclif help class (package.json oclif.helpClass): `etcdctl --help`, `etcdctl <cmd> --help`,
// `etcdctl help <cmd>`, a group's page and the page after a usage error all come here, and print
// etcdctl 3.4's cobra pages (help.ts) instead of oclif's layout. Topics resolve as cobra resolves them.

import type { Command } from '@oclif/core/command';
import { Help } from '@oclif/core/help';
import type { Topic } from '@oclif/core/interfaces';
import { findCommand } from '../find-command';
import { asFlagDefs, type OclifFlagLike } from '../flags';
import { helpText } from '../help';

export class EtcdctlHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    const words = argv.filter((a) => !a.startsWith('-'));
    const topic = words[0] === 'help' ? words.slice(1) : words;
    if (topic.length === 0) return this.page('');
    const found = findCommand(topic);
    if (!('error' in found)) return this.page(found.id);
    if (found.error.startsWith('group:')) return this.page(found.error.slice(6));
    process.stderr.write(`Unknown help topic [\`${topic.join(' ')}\`]\n`);
    // cobra adds the root's --help flag only when it first parses the root's flags, which `help` skips
    return this.page('', false);
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    return this.page(command.id.replace(/:/g, ' '));
  }

  protected override async showRootHelp(): Promise<void> {
    return this.page('');
  }

  protected override async showTopicHelp(topic: Topic): Promise<void> {
    return this.page(topic.name.replace(/:/g, ' '));
  }

  /** the cobra page of a command path ('' for etcdctl), with the flags its oclif class declares */
  private async page(id: string, withHelpFlag = true): Promise<void> {
    const cached = id ? this.config.findCommand(id.replace(/ /g, ':')) : undefined;
    // the class, not oclif's cached form, which drops booleans' defaults (--insecure-transport=true)
    const cls = await cached?.load();
    const own = asFlagDefs((cls?.flags ?? {}) as Record<string, OclifFlagLike>);
    process.stdout.write(helpText(id, own, withHelpFlag));
  }
}

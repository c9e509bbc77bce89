// The oclif Command classes, one per etcdctl command, keyed by oclif id ("lease:grant"; the topic
// separator is a space, so users type `lease grant`). package.json's explicit discovery reaches them
// through oclif-commands.ts. Each declares its flags and args with oclif's Flags and Args
// (declarations.ts) and runs the logic in commands/*.ts.
import { commands } from '../commands';
import { commandHelp } from '../help-text';
import { EtcdctlCommand } from './base';
import { argDecls, flagDecls } from './declarations';

function commandClass(id: string): typeof EtcdctlCommand {
  const help = commandHelp[id];
  return class extends EtcdctlCommand {
    static override id = id.replace(/ /g, ':');
    static override cobraId = id;
    static override spec = commands[id];
    static override summary = help?.short;
    static override description = help?.long ?? help?.short;
    static override usage = `${id} ${help?.use ?? ''}`.trim();
    static override flags = flagDecls(id);
    static override args = argDecls(id);
  };
}

export const COMMANDS: Record<string, typeof EtcdctlCommand> = Object.fromEntries(
  Object.keys(commands).map((id) => [id.replace(/ /g, ':'), commandClass(id)]),
);

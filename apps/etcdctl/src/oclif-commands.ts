// The target of package.json's explicit command discovery. oclif's loader requires this file by path;
// when the bundled CLI is running it hands over the bundle's own classes (registered by oclif-run.ts),
// so that oclif runs the same module instances instead of loading a second, unbundled copy.
import type { COMMANDS as Commands } from './oclif/commands';

const registered = (globalThis as Record<symbol, { COMMANDS: typeof Commands } | undefined>)[
  Symbol.for('@kv/etcdctl:oclif')
];

export const COMMANDS: typeof Commands =
  registered?.COMMANDS ?? (require('./oclif/commands') as typeof import('./oclif/commands')).COMMANDS;

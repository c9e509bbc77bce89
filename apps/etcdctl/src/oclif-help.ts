// package.json's oclif.helpClass: the bundle's help class when the bundled CLI runs (see oclif-commands.ts).
import type { EtcdctlHelp as Help } from './oclif/help';

const registered = (globalThis as Record<symbol, { EtcdctlHelp: typeof Help } | undefined>)[
  Symbol.for('@kv/etcdctl:oclif')
];

export default registered?.EtcdctlHelp ??
  (require('./oclif/help') as typeof import('./oclif/help')).EtcdctlHelp;

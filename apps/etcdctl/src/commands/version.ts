import type { CommandSpec } from '../command';

/** The etcd release whose etcdctl this one mirrors (output and flags). */
export const ETCDCTL_VERSION = '3.4.23';
export const API_VERSION = '3.4';

export const version: CommandSpec = {
  run() {
    process.stdout.write(`etcdctl version: ${ETCDCTL_VERSION}\nAPI version: ${API_VERSION}\n`);
  },
};

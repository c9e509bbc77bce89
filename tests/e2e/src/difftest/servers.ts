import { existsSync } from 'node:fs';
import { Cluster } from '../harness/cluster';
import type { ServerKind } from '../harness/server-binary';
import { Conn } from './conn';

/** One fresh single-member server of each kind, with a gRPC connection to each. */
export interface Pair {
  etcd: Conn;
  ours: Conn;
  destroy(): Promise<void>;
}

/**
 * Both servers get the same flags. A low bcrypt cost keeps Authenticate cheap on both (the cost is a
 * speed knob, not behaviour), and a small --max-txn-ops makes the "too many operations" limit reachable.
 */
export const PAIR_FLAGS = ['--bcrypt-cost', '4', '--max-txn-ops', '16', '--auth-token-ttl', '86400'];

export async function startPair(flags: string[] = PAIR_FLAGS): Promise<Pair> {
  const start = (kind: ServerKind) => Cluster.start({ size: 1, kind, flags });
  const [a, b] = await Promise.allSettled([start('etcd'), start('ours')]);
  if (a.status === 'rejected' || b.status === 'rejected') {
    if (a.status === 'fulfilled') await a.value.destroy();
    if (b.status === 'fulfilled') await b.value.destroy();
    throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
  }
  const etcd = new Conn('etcd', a.value.endpoints[0]!);
  const ours = new Conn('ours', b.value.endpoints[0]!);
  return {
    etcd,
    ours,
    async destroy() {
      etcd.close();
      ours.close();
      await Promise.all([a.value.destroy(), b.value.destroy()]);
    },
  };
}

/**
 * Data dirs on tmpfs (/dev/shm) unless TMPDIR is set: fsync costs nothing there, for both servers alike,
 * so a run is bound by the servers' CPU, not the disk. Sets TMPDIR for this process (the harness's
 * temp dirs follow it).
 */
export function preferTmpfs(): void {
  if (!process.env.TMPDIR && existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
}

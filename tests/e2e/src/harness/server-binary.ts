import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo';

export type ServerKind = 'ours' | 'etcd';

/** Which server the suite drives: KV_E2E_SERVER=ours (default) or etcd (Debian's etcd 3.4). */
export function serverKind(): ServerKind {
  const v = (process.env.KV_E2E_SERVER ?? 'ours').trim();
  if (v === 'ours' || v === 'etcd') return v;
  throw new Error(`KV_E2E_SERVER must be "ours" or "etcd", got ${JSON.stringify(v)}`);
}

export const ETCDCTL = process.env.KV_E2E_ETCDCTL ?? '/usr/bin/etcdctl';
const REAL_ETCD = process.env.KV_E2E_ETCD ?? '/usr/bin/etcd';

/** apps/server/bin/etcd of this checkout, or KV_E2E_OURS (another build, e.g. main's, for before/after runs). */
export function oursBinary(): string {
  return process.env.KV_E2E_OURS ?? join(repoRoot(), 'apps', 'server', 'bin', 'etcd');
}

/** The command that starts one member: [executable, ...leading args]. */
export function serverCommand(kind: ServerKind = serverKind()): string[] {
  if (kind === 'etcd') return [REAL_ETCD];
  const bin = oursBinary();
  // A bin script that lost its executable bit (or a checkout without modes) still runs through node.
  try {
    accessSync(bin, constants.X_OK);
    return [bin];
  } catch {
    const head = readFileSync(bin, 'utf8').slice(0, 200);
    return head.startsWith('#!') && head.includes('node') ? [process.execPath, bin] : [bin];
  }
}

/**
 * Why the e2e tests of the selected server cannot run, or undefined when they can. Ours is skipped only
 * while apps/server/bin/etcd does not exist: once it exists the tests run and fail honestly.
 */
export function skipReason(kind: ServerKind = serverKind()): string | undefined {
  if (!existsSync(ETCDCTL)) return `${ETCDCTL} not found (apt-get install etcd-client): e2e tests need it`;
  if (kind === 'etcd') {
    return existsSync(REAL_ETCD) ? undefined : `${REAL_ETCD} not found (apt-get install etcd-server)`;
  }
  return existsSync(oursBinary())
    ? undefined
    : `KV_E2E_SERVER=ours but ${oursBinary()} does not exist yet; set KV_E2E_SERVER=etcd to run against Debian's etcd`;
}

/** A bound on any one describe block, so a hung server fails the run instead of stalling CI. */
export const SUITE_TIMEOUT_MS = Number(process.env.KV_E2E_SUITE_TIMEOUT_MS ?? 300_000);

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The monorepo root: the nearest directory above this file that holds pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
}

/**
 * The shared directory with the user's quick start check. In CI the repo is a fresh clone with shared/
 * beside it; on the team machine it is /work/shared. KV_SHARED_DIR wins when set.
 */
export function sharedDir(): string | undefined {
  const candidates = [
    process.env.KV_SHARED_DIR,
    resolve(repoRoot(), '..', 'shared'),
    resolve(repoRoot(), '..', '..', 'shared'),
    '/work/shared',
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'checks', 'quickstart.sh'))) return c;
  return undefined;
}

export function quickstartScript(): string | undefined {
  const d = sharedDir();
  return d ? join(d, 'checks', 'quickstart.sh') : undefined;
}

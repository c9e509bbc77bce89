// bin/etcdctl's choice of start-up: the build's snapshot when the node on PATH made it, else
// dist/launch.js; either way the same CLI, wherever the package was copied to.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const pkg = join(__dirname, '..');

/** runs `etcdctl version` (oclif's path, no server) and says which start-up ran */
function version(root: string, env: Record<string, string> = {}) {
  const r = spawnSync(join(root, 'bin', 'etcdctl'), ['version'], {
    env: { ...process.env, NODE_OPTIONS: '', KV_ETCDCTL_NO_SNAPSHOT: '', ...env, KV_ETCDCTL_TIMING: '1' },
    encoding: 'utf8',
  });
  const start = /timing: [\d.]+ ms (\w+) start/.exec(r.stderr)?.[1];
  return { status: r.status, stdout: r.stdout, start };
}

test('the build made a snapshot for this node, and bin/etcdctl starts from it', () => {
  assert.ok(existsSync(join(pkg, 'dist', 'etcdctl.blob')));
  const r = version(pkg);
  assert.deepEqual(r, {
    status: 0,
    stdout: 'etcdctl version: 3.4.23\nAPI version: 3.4\n',
    start: 'snapshot',
  });
});

test('NODE_OPTIONS or KV_ETCDCTL_NO_SNAPSHOT run dist/launch.js, with the same output', () => {
  const want = version(pkg).stdout;
  const envs: Array<Record<string, string>> = [
    { NODE_OPTIONS: '--no-warnings' },
    { KV_ETCDCTL_NO_SNAPSHOT: '1' },
  ];
  for (const env of envs) {
    assert.deepEqual(version(pkg, env), { status: 0, stdout: want, start: 'launcher' });
  }
});

test('a copied package starts from its snapshot; with another node recorded it falls back', () => {
  const root = mkdtempSync(join(tmpdir(), 'kv-etcdctl-launcher-'));
  try {
    // as `cp -a` copies: a copy that loses the files' times loses the snapshot (the next case)
    for (const f of ['bin', 'dist', 'package.json'])
      cpSync(join(pkg, f), join(root, f), { recursive: true, preserveTimestamps: true });
    const want = version(pkg).stdout;
    // the snapshot was built in pkg; the bundles it loads (oclif here) are found in the copy
    assert.deepEqual(version(root), { status: 0, stdout: want, start: 'snapshot' });
    // as if the node on PATH had been replaced since the build (another modification time)
    utimesSync(join(root, 'dist', 'etcdctl.blob.node'), new Date(0), new Date(0));
    assert.deepEqual(version(root), { status: 0, stdout: want, start: 'launcher' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePorts } from './test-ports.js';
import { ETCD_BIN, memberArgs, spawnEtcd } from './test-process.js';

const ETCDCTL = '/usr/bin/etcdctl';
const QUICKSTART = '/work/shared/checks/quickstart.sh';

test('bad flags fail at start like etcd', () => {
  const r = spawnSync(process.execPath, [ETCD_BIN, '--foo'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^flag provided but not defined: -foo/);
  const r2 = spawnSync(process.execPath, [ETCD_BIN, '--election-timeout', '100'], { encoding: 'utf8' });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /should be at least as 5 times as --heartbeat-interval/);
  const r3 = spawnSync(process.execPath, [ETCD_BIN, '--version'], { encoding: 'utf8' });
  assert.equal(r3.status, 0);
  assert.match(r3.stdout, /^etcd Version: /);
});

test("Debian's etcdctl 3.4 runs the quick start against bin/etcd; SIGTERM stops it cleanly", {
  skip: !existsSync(ETCDCTL) || !existsSync(QUICKSTART) ? 'etcdctl or quickstart.sh missing' : false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-qs-'));
  const [c, p] = await freePorts(2);
  const m = spawnEtcd(memberArgs('default', c!, p!, `default=http://127.0.0.1:${p}`), c!, dir);
  try {
    await m.waitLog('published local member');
    const r = spawnSync('bash', [QUICKSTART, `127.0.0.1:${c}`, ETCDCTL], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /all 15 steps/);
    assert.ok(existsSync(join(dir, 'default.etcd', 'member', 'wal')));
  } finally {
    m.child.kill('SIGTERM');
  }
  assert.equal(await m.exited, 0);
  rmSync(dir, { recursive: true, force: true });
});

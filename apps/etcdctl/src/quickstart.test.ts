// The user's quick start (/work/shared/seed.md), checked by its own script against a real etcd with our etcdctl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestEtcd } from './test-support/etcd';
import { OURS } from './test-support/run-ctl';

const script = process.env.KV_QUICKSTART ?? '/work/shared/checks/quickstart.sh';
let etcd: TestEtcd;

before(async () => {
  etcd = await TestEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

test('quick start prints what etcdctl 3.4 prints', { skip: !existsSync(script) && 'no quickstart.sh' }, () => {
  const r = spawnSync('bash', [script, etcd.endpoint, OURS], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /all 15 steps/);
});

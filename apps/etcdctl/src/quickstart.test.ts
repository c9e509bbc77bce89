// The user's quick start (/work/shared/seed.md), checked by its own script against a real etcd with our etcdctl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestEtcd } from './test-support/etcd';
import { OURS, REFERENCE, run } from './test-support/run-ctl';

const script = process.env.KV_QUICKSTART ?? '/work/shared/checks/quickstart.sh';
let etcd: TestEtcd;

before(async () => {
  etcd = await TestEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

test('quick start prints what etcdctl 3.4 prints', {
  skip: !existsSync(script) && 'no quickstart.sh',
}, () => {
  const r = spawnSync('bash', [script, etcd.endpoint, OURS], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /all 15 steps/);
});

test('etcdctl revoke ID, the quick start shorthand, prints what lease revoke prints', async () => {
  const ep = `--endpoints=${etcd.endpoint}`;
  const g = await run(OURS, [ep, 'lease', 'grant', '60']);
  const id = /lease ([0-9a-f]{16}) granted/.exec(g.stdout)?.[1];
  assert.ok(id, g.stdout + g.stderr);
  const r = await run(OURS, [ep, 'revoke', id]);
  assert.equal(r.stdout, `lease ${id} revoked\n`);
  assert.equal(r.code, 0);
  // revoking again fails like the reference's `lease revoke`
  const [a, b] = await Promise.all([
    run(OURS, [ep, 'revoke', id]),
    run(REFERENCE, [ep, 'lease', 'revoke', id]),
  ]);
  assert.equal(a.code, b.code);
  assert.deepEqual(a.errors, b.errors);
});

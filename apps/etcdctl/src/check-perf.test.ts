// check perf runs for 60 s in etcdctl; here a 2 s run against a real etcd checks its report and cleanup.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestEtcd } from './test-support/etcd';
import { OURS, run } from './test-support/run-ctl';

let etcd: TestEtcd;
before(async () => {
  etcd = await TestEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

test('check perf writes under its prefix, reports, and deletes its keys', async () => {
  const ep = `--endpoints=${etcd.endpoint}`;
  const r = await run(OURS, [ep, 'check', 'perf', '--auto-compact'], { env: { KV_CHECK_PERF_SECONDS: '2' } });
  assert.match(r.stdout, /(PASS|FAIL): Throughput (is|too low:) \d+ writes\/s/);
  assert.match(r.stdout, /Compacted with revision \d+/);
  assert.match(r.stdout, /\n(PASS|FAIL)\n$/);
  const left = await run(OURS, [
    ep,
    'get',
    '/etcdctl-check-perf/',
    '--prefix',
    '--count-only',
    '-w',
    'fields',
  ]);
  assert.match(left.stdout, /^"Count" : 0$/m); // nothing left under the prefix
});

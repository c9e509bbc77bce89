// Ctrl-C on `etcdctl lock`: the holder deletes its key and revokes its session lease on the way out,
// so a second locker gets the lock at once (not when the lease's TTL runs out). Our etcdctl and
// etcd's are held to the same, against real etcd.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestEtcd } from './test-support/etcd';
import { OURS, REFERENCE } from './test-support/run-ctl';

let etcd: TestEtcd;
before(async () => {
  etcd = await TestEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

function start(bin: string, args: string[]) {
  const p = spawn(bin, [`--endpoints=${etcd.endpoint}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  const exited = new Promise<number>((r) =>
    p.on('close', (code, sig) => r(code ?? (sig === 'SIGINT' ? 130 : 137))),
  );
  const kill = setTimeout(() => p.kill('SIGKILL'), 20_000);
  exited.then(() => clearTimeout(kill));
  return {
    p,
    exited,
    output: () => out,
    async waitFor(re: RegExp, ms: number): Promise<boolean> {
      const end = Date.now() + ms;
      while (Date.now() < end && !re.test(out)) await new Promise((r) => setTimeout(r, 20));
      return re.test(out);
    },
  };
}

for (const [name, bin] of [
  ['ours', OURS],
  ['etcd 3.4', REFERENCE],
] as const) {
  test(`${name}: SIGINT on a lock holder releases the lock for the next locker at once`, {
    skip: !existsSync(bin) && `no ${bin}`,
  }, async () => {
    const lockName = `sig-${name.replace(/\W/g, '')}`;
    // a long session TTL: without an explicit release the waiter would wait for it
    const holder = start(bin, ['lock', lockName, '--ttl=60']);
    assert.ok(await holder.waitFor(/\n/, 10_000), `holder never got the lock: ${holder.output()}`);
    const waiter = start(bin, ['lock', lockName, '--ttl=60', '--', 'echo', 'second']);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(waiter.output(), '', 'the waiter must not have the lock while the holder has it');
    const t0 = Date.now();
    holder.p.kill('SIGINT');
    assert.equal(await holder.exited, 0);
    assert.ok(await waiter.waitFor(/second/, 5_000), 'the waiter did not get the lock');
    const waited = Date.now() - t0;
    assert.ok(waited < 3_000, `the waiter got the lock ${waited} ms after the SIGINT`);
    assert.equal(await waiter.exited, 0);
  });
}

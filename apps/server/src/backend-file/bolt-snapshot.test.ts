import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { readBolt } from '@kv/bbolt';
import { freePorts } from '../test-ports.js';
import { memberArgs, spawnEtcd } from '../test-process.js';

// Our Maintenance.Snapshot against Debian's etcd 3.4: its etcdctl saves, checks and restores our file,
// and the real etcd serves the restored data.
const ETCD = '/usr/bin/etcd';
const ETCDCTL = '/usr/bin/etcdctl';
const skip = !existsSync(ETCD) || !existsSync(ETCDCTL);
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'bolt-snapshot-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function ctl(port: number, ...args: string[]): Promise<string> {
  const r = await run(ETCDCTL, [`--endpoints=127.0.0.1:${port}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 20_000,
    maxBuffer: 64 << 20,
  });
  return r.stdout;
}

async function waitServing(port: number): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      await ctl(port, 'get', 'probe');
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Every key with its revisions, and the leases: what must survive a snapshot round trip. */
async function state(port: number) {
  const got = JSON.parse(await ctl(port, 'get', '', '--prefix', '-w', 'json')) as {
    header: { revision: number };
    kvs: unknown[];
  };
  const leases = (await ctl(port, 'lease', 'list')).split('\n').slice(1).filter(Boolean).sort();
  return { revision: got.header.revision, kvs: got.kvs, leases };
}

test('Debian etcdctl saves our snapshot, reads its status, and real etcd serves the restore', {
  skip,
  timeout: 120_000,
}, async () => {
  const [cp, pp, rcp, rpp] = await freePorts(4);
  const ours = spawnEtcd(
    ['--data-dir', join(dir, 'ours'), ...memberArgs('o1', cp!, pp!, `o1=http://127.0.0.1:${pp}`)],
    cp!,
    dir,
  );
  children.push(ours.child);
  await ours.waitLog('published local member', 30_000);
  for (let i = 0; i < 120; i += 12) {
    await Promise.all(
      Array.from({ length: 12 }, (_, j) =>
        ctl(cp!, 'put', `k/${String(i + j).padStart(3, '0')}`, `v${i + j}`.repeat(1 + ((i + j) % 7) * 20)),
      ),
    );
  }
  await ctl(cp!, 'put', 'big', 'x'.repeat(20_000)); // an element over several pages
  await ctl(cp!, 'del', 'k/01', '--prefix');
  const lease = (await ctl(cp!, 'lease', 'grant', '600')).split(' ')[1]!;
  await ctl(cp!, 'put', 'leased', 'yes', `--lease=${lease}`);
  const before = await state(cp!);
  await ctl(cp!, 'compaction', '5');

  const file = join(dir, 'ours.db');
  await ctl(cp!, 'snapshot', 'save', file);
  ours.child.kill('SIGTERM');
  await ours.exited;

  const status = JSON.parse((await run(ETCDCTL, ['snapshot', 'status', file, '-w', 'json'])).stdout) as {
    revision: number;
    totalKey: number;
    totalSize: number;
  };
  const db = readBolt(file);
  assert.equal(status.revision, before.revision);
  assert.equal(status.totalSize, db.size);
  assert.equal(
    status.totalKey,
    db.buckets.reduce((n, b) => n + b.entries.length, 0),
  );

  const restored = join(dir, 'restored');
  await run(
    ETCDCTL,
    [
      'snapshot',
      'restore',
      file,
      '--data-dir',
      restored,
      '--name',
      'r1',
      '--initial-cluster',
      `r1=http://127.0.0.1:${rpp}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${rpp}`,
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
  );
  const real = spawn(
    ETCD,
    [
      '--data-dir',
      restored,
      '--name',
      'r1',
      '--listen-client-urls',
      `http://127.0.0.1:${rcp}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${rcp}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${rpp}`,
    ],
    { stdio: 'ignore' },
  );
  children.push(real);
  await waitServing(rcp!);
  const after = await state(rcp!);
  assert.deepEqual(after, before);
  // the lease came back with its key attached
  assert.match(await ctl(rcp!, 'lease', 'timetolive', lease, '--keys'), /attached keys\(\[leased\]\)/);
  // the compaction came along: revision 4 is gone, 5 is readable
  await assert.rejects(ctl(rcp!, 'get', 'k/000', '--rev', '4'), /compacted/);
  assert.match(await ctl(rcp!, 'get', 'k/000', '--rev', '5'), /k\/000/);
  real.kill('SIGTERM');
});

// snapshot save/status/restore against real processes: Debian's etcd 3.4 and etcdctl, our server and
// this etcdctl. Snapshots from either server must restore into either server with the same keys,
// revisions, compaction and leases, and both etcdctls must print the same status for any snapshot.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from './test-support/etcd';
import { OURS, REFERENCE, run } from './test-support/run-ctl';

const REAL_ETCD = '/usr/bin/etcd';
const OUR_ETCD = join(dirname(require.resolve('@kv/server/package.json')), 'bin', 'etcd');
const skip = !existsSync(REAL_ETCD) || !existsSync(REFERENCE);

interface Server {
  proc: ChildProcess;
  endpoint: string;
  peerUrl: string;
}

const procs: ChildProcess[] = [];
const root = mkdtempSync(join(tmpdir(), 'kv-snapshot-test-'));
after(() => {
  for (const p of procs) {
    try {
      if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** Starts etcd (real or ours) on a data dir; `fresh` adds the bootstrap flags of a new one-member cluster. */
async function startServer(
  kind: 'real' | 'ours',
  dataDir: string,
  name: string,
  peerPort: number,
  fresh: boolean,
): Promise<Server> {
  const cp = await freePort();
  const endpoint = `127.0.0.1:${cp}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://${endpoint}`,
    `--advertise-client-urls=http://${endpoint}`,
    `--listen-peer-urls=${peerUrl}`,
  ];
  if (fresh) args.push(`--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=${name}=${peerUrl}`);
  const proc =
    kind === 'real'
      ? spawn(REAL_ETCD, args, { stdio: 'ignore' })
      : spawn(process.execPath, [OUR_ETCD, ...args], { stdio: 'ignore' });
  procs.push(proc);
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await run(REFERENCE, [`--endpoints=${endpoint}`, 'put', 'probe', 'x']);
    if (r.code === 0) break;
    if (proc.exitCode !== null) throw new Error(`${kind} etcd exited with ${proc.exitCode}`);
    if (Date.now() > end) throw new Error(`${kind} etcd did not serve: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 150));
  }
  return { proc, endpoint, peerUrl };
}

async function stop(s: Server): Promise<void> {
  if (s.proc.exitCode !== null || !s.proc.pid) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  process.kill(s.proc.pid, 'SIGTERM');
  await exited;
}

async function ctl(bin: string, endpoint: string, ...args: string[]): Promise<string> {
  const r = await run(bin, [`--endpoints=${endpoint}`, ...args], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The same writes on any server: puts of many sizes (one over several pages), a delete, a lease, a compaction. */
async function workload(endpoint: string): Promise<void> {
  for (let i = 0; i < 40; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        ctl(
          REFERENCE,
          endpoint,
          'put',
          `k/${String(i + j).padStart(2, '0')}`,
          `v${i + j}-`.repeat(1 + ((i + j) % 5) * 30),
        ),
      ),
    );
  }
  await ctl(REFERENCE, endpoint, 'put', 'big', 'x'.repeat(20_000));
  await ctl(REFERENCE, endpoint, 'del', 'k/1', '--prefix');
  const lease = (await ctl(REFERENCE, endpoint, 'lease', 'grant', '900')).split(' ')[1]!;
  await ctl(REFERENCE, endpoint, 'put', 'leased', 'yes', `--lease=${lease}`);
  await ctl(REFERENCE, endpoint, 'put', 'k/00', 'again');
  await ctl(REFERENCE, endpoint, 'compaction', '10');
}

/** What a restore must keep: every key with its revisions, the store revision, and the leases. */
async function state(endpoint: string) {
  const got = JSON.parse(await ctl(REFERENCE, endpoint, 'get', '', '--prefix', '-w', 'json')) as {
    header: { revision: number };
    kvs: Array<{ key: string }>;
  };
  const leases = (await ctl(REFERENCE, endpoint, 'lease', 'list'))
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .sort();
  return { revision: got.header.revision, kvs: got.kvs, leases };
}

describe('snapshot', { skip, timeout: 180_000 }, () => {
  const files: Record<'real' | 'ours', string> = { real: join(root, 'real.db'), ours: join(root, 'ours.db') };
  const states: Record<string, Awaited<ReturnType<typeof state>>> = {};

  before(async () => {
    for (const kind of ['real', 'ours'] as const) {
      const s = await startServer(kind, join(root, `${kind}-src`), 'default', await freePort(), true);
      await workload(s.endpoint);
      states[kind] = await state(s.endpoint);
      // each etcdctl saves from the server of its own kind; both verify the sha256 trailer
      const saved = await run(kind === 'real' ? REFERENCE : OURS, [
        `--endpoints=${s.endpoint}`,
        'snapshot',
        'save',
        files[kind],
      ]);
      assert.equal(saved.code, 0, saved.stderr);
      assert.equal(saved.stdout, `Snapshot saved at ${files[kind]}\n`);
      await stop(s);
    }
  });

  test('save prints what etcdctl prints', async () => {
    const s = await startServer('ours', join(root, 'save-src'), 'default', await freePort(), true);
    try {
      const a = await run(REFERENCE, [`--endpoints=${s.endpoint}`, 'snapshot', 'save', join(root, 'a.db')]);
      const b = await run(OURS, [`--endpoints=${s.endpoint}`, 'snapshot', 'save', join(root, 'b.db')]);
      assert.equal(b.code, a.code);
      assert.equal(b.stdout.replace('b.db', 'a.db'), a.stdout);
    } finally {
      await stop(s);
    }
  });

  test("status prints what etcdctl prints, on etcd's snapshots and ours", async () => {
    for (const file of [files.real, files.ours]) {
      for (const w of ['simple', 'json', 'table', 'fields']) {
        const args = ['snapshot', 'status', file, '-w', w];
        const [a, b] = await Promise.all([run(REFERENCE, args), run(OURS, args)]);
        assert.equal(b.code, a.code, `${file} -w ${w}`);
        assert.equal(b.stdout, a.stdout, `${file} -w ${w}`);
        assert.deepEqual(b.errors, a.errors);
      }
    }
  });

  test('status refuses what is not a bbolt file as etcdctl does', async () => {
    const bad = {
      tiny: Buffer.from('not a database'),
      junk: Buffer.alloc(10_000, 0x5a),
      // a valid first page but shorter than the two meta pages
      short: readFileSync(files.ours).subarray(0, 6000),
    };
    for (const [name, bytes] of Object.entries(bad)) {
      const file = join(root, `${name}.db`);
      writeFileSync(file, bytes);
      const args = ['snapshot', 'status', file];
      const [a, b] = await Promise.all([run(REFERENCE, args), run(OURS, args)]);
      assert.equal(b.code, a.code, name);
      assert.equal(b.stdout, a.stdout, name);
      assert.deepEqual(b.errors, a.errors, name);
    }
  });

  for (const kind of ['real', 'ours'] as const) {
    test(`${kind === 'real' ? "etcd's" : 'our'} snapshot -> our restore -> our server serves the same data`, async () => {
      const pp = await freePort();
      const dataDir = join(root, `${kind}-restored`);
      const r = await run(OURS, [
        'snapshot',
        'restore',
        files[kind],
        '--name',
        'r1',
        '--data-dir',
        dataDir,
        '--initial-cluster',
        `r1=http://127.0.0.1:${pp}`,
        '--initial-cluster-token',
        'restored',
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${pp}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /"msg":"restored snapshot"/);
      // started without the bootstrap flags: the WAL and raft snapshot say who the member is
      const s = await startServer('ours', dataDir, 'r1', pp, false);
      try {
        const got = await state(s.endpoint);
        // the probe put of startServer is one more revision on top of the source's
        assert.deepEqual(
          {
            ...got,
            revision: got.revision - 1,
            kvs: got.kvs.filter((kv) => kv.key !== Buffer.from('probe').toString('base64')),
          },
          {
            ...states[kind],
            kvs: states[kind]!.kvs.filter((kv) => kv.key !== Buffer.from('probe').toString('base64')),
          },
        );
        const compacted = await run(REFERENCE, [`--endpoints=${s.endpoint}`, 'get', 'k/00', '--rev', '9']);
        assert.deepEqual(compacted.errors, ['Error: etcdserver: mvcc: required revision has been compacted']);
        // the lease is back with its key attached
        const ttl = await ctl(REFERENCE, s.endpoint, 'lease', 'timetolive', got.leases[0]!, '--keys');
        assert.match(ttl, /attached keys\(\[leased\]\)/);
        const members = await ctl(REFERENCE, s.endpoint, 'member', 'list');
        assert.match(members, new RegExp(`, started, r1, http://127.0.0.1:${pp}, `));
        // and it keeps working: a write after the restore gets the next revision
        const put = JSON.parse(await ctl(REFERENCE, s.endpoint, 'put', 'after', '1', '-w', 'json')) as {
          header: { revision: number };
        };
        assert.equal(put.header.revision, got.revision + 1);
      } finally {
        await stop(s);
      }
    });
  }

  test('three members restored from one snapshot form a cluster of our servers', async () => {
    const pps = [await freePort(), await freePort(), await freePort()];
    const cluster = pps.map((p, i) => `m${i}=http://127.0.0.1:${p}`).join(',');
    for (let i = 0; i < 3; i++) {
      const r = await run(OURS, [
        'snapshot',
        'restore',
        files.real,
        `--name=m${i}`,
        `--data-dir=${join(root, `m${i}`)}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-token=three',
        `--initial-advertise-peer-urls=http://127.0.0.1:${pps[i]}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const servers = await Promise.all(
      pps.map((p, i) => startServer('ours', join(root, `m${i}`), `m${i}`, p, false)),
    );
    try {
      const revs = await Promise.all(
        servers.map(
          async (s) =>
            (JSON.parse(await ctl(REFERENCE, s.endpoint, 'get', 'k/00', '-w', 'json')) as { kvs: unknown[] })
              .kvs,
        ),
      );
      assert.deepEqual(revs[1], revs[0]);
      assert.deepEqual(revs[2], revs[0]);
      const members = (await ctl(REFERENCE, servers[0]!.endpoint, 'member', 'list')).trim().split('\n');
      assert.equal(members.length, 3);
    } finally {
      await Promise.all(servers.map(stop));
    }
  });

  test('restore fails as etcdctl does', async () => {
    const noHash = join(root, 'nohash.db');
    writeFileSync(noHash, readFileSync(files.ours).subarray(0, -32));
    const damaged = join(root, 'damaged.db');
    const bytes = readFileSync(files.ours);
    bytes[5000] ^= 0xff;
    writeFileSync(damaged, bytes);
    const exists = join(root, 'exists');
    mkdirSync(exists);
    // etcdctl leaves a half-made data dir behind on some failures: each side gets its own dirs
    const cases = (side: string) => [
      ['snapshot', 'restore'],
      ['snapshot', 'restore', noHash, '--data-dir', join(root, `x1-${side}`)],
      ['snapshot', 'restore', damaged, '--data-dir', join(root, `x2-${side}`)],
      ['snapshot', 'restore', join(root, 'missing.db'), '--data-dir', join(root, `x3-${side}`)],
      ['snapshot', 'restore', files.ours, '--data-dir', exists],
      ['snapshot', 'restore', files.ours, '--data-dir', join(root, `x4-${side}`), '--name', 'nobody'],
      [
        'snapshot',
        'restore',
        files.ours,
        '--data-dir',
        join(root, `x5-${side}`),
        '--name',
        'n',
        '--initial-cluster',
        'n=http://127.0.0.1:1',
      ],
    ];
    const [ref, ours] = [cases('ref'), cases('ours')];
    for (let i = 0; i < ref.length; i++) {
      const a = await run(REFERENCE, ref[i]!);
      const b = await run(OURS, ours[i]!);
      const label = ref[i]!.join(' ');
      assert.equal(b.code, a.code, label);
      assert.equal(b.stdout, a.stdout, label);
      assert.deepEqual(
        b.errors.map((e) => e.replaceAll('-ours', '-ref')),
        a.errors,
        label,
      );
    }
    // with --skip-hash-check a file without the trailer restores
    const ok = await run(OURS, [
      'snapshot',
      'restore',
      noHash,
      '--data-dir',
      join(root, 'x6'),
      '--skip-hash-check',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

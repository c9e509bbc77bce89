// Golden tests: every command run by our etcdctl and by etcd's etcdctl 3.4, each against its own
// server driven by the same steps; stdout, exit code and "Error:" lines must be identical once IDs,
// ports and timings are normalised (see test-support/golden.ts). The suite runs twice: against real
// etcd 3.4 servers, then against our server (apps/server), where a difference is a server bug. Three
// lanes, each with its own pair of servers, run concurrently; the groups of a lane run in order.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type ServerKind, TestEtcd } from './test-support/etcd';
import { Side, type Step } from './test-support/golden';
import { OURS, REFERENCE, type Result, run } from './test-support/run-ctl';

const skip = !existsSync(REFERENCE) && `no reference etcdctl at ${REFERENCE}`;

/** Switches that keep a group on real etcd only, for a server feature still being written. */
const OUR_SERVER_HAS_AUTH = true;
const OUR_SERVER_SNAPSHOT_READY = true;

/** Where Debian's etcdctl printed something else against our server than against etcd. */
const serverDiffs: string[] = [];

/**
 * What legitimately differs between etcd and our server: the version each reports (ours implements
 * 3.5's API) and the database size (RocksDB's estimate against bbolt's file size). HashKV values must
 * be equal: ours hashes etcd's stored form of the same history.
 */
function acrossServers(s: string): string {
  return s
    .replace(/\b3\.(4\.23|5\.0)\b/g, 'VERSION')
    .replace(/"(dbSize|dbSizeInUse)":\d+/g, '"$1":N')
    .replace(/"(DBSize|DBSizeInUse)" : \d+/g, '"$1" : N')
    .replace(/\b\d+(\.\d+)? [kMG]?B\b/g, 'SIZE');
}

class Pair {
  private constructor(
    readonly server: ServerKind,
    readonly ours: Side,
    readonly ref: Side,
    private readonly stops: Array<() => Promise<void>>,
  ) {}

  static async start(server: ServerKind): Promise<Pair> {
    const started = await Promise.allSettled([
      TestEtcd.start([], undefined, server),
      TestEtcd.start([], undefined, server),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      // the other server must not outlive the test (it would keep the run from ending)
      for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
      throw failed.reason;
    }
    const [e1, e2] = started.map((r) => (r as PromiseFulfilledResult<TestEtcd>).value);
    const d1 = mkdtempSync(join(tmpdir(), 'kv-golden-ours-'));
    const d2 = mkdtempSync(join(tmpdir(), 'kv-golden-ref-'));
    const p = new Pair(
      server,
      // sizes are the server's, not etcdctl's: two etcd 3.4 servers given the same history can still
      // differ by a bbolt page, depending on how their batched commits fell (seen: 24576 vs 28672)
      new Side(OURS, e1, d1, true),
      new Side(REFERENCE, e2, d2, true),
      [
        () => e1.stop(),
        () => e2.stop(),
        async () => rmSync(d1, { recursive: true, force: true }),
        async () => rmSync(d2, { recursive: true, force: true }),
      ],
    );
    await Promise.all([p.ours.init(), p.ref.init()]);
    return p;
  }

  async stop(): Promise<void> {
    for (const s of this.stops) await s();
  }

  /** runs a step with both etcdctls and compares them; returns the reference's result */
  async same(step: Step): Promise<Result | undefined> {
    if (this.server === 'ours' && step.notOnOurServer) return undefined;
    if (step.protobuf) return this.sameBytes(step);
    const [a, b] = await Promise.all([
      this.ours.step(step),
      this.ref.step(step.ref ? { ...step, args: step.ref.args } : step),
    ]);
    if (step.ref?.strip) b.stdout = b.stdout.replace(step.ref.strip, '');
    const what = `etcdctl ${step.args.join(' ')} (against ${this.server})`;
    if (step.stdout !== false) assert.equal(a.stdout, b.stdout, `stdout of ${what}`);
    assert.equal(a.code, b.code, `exit code of ${what}\nours: ${a.stderr}\nref: ${b.stderr}`);
    assert.deepEqual(a.errors, b.errors, `Error lines of ${what}`);
    return b;
  }

  /** -w protobuf: compares stdout's bytes (see Step.protobuf) */
  async sameBytes(step: Step): Promise<undefined> {
    const what = `etcdctl ${step.args.join(' ')} (against ${this.server})`;
    let a: Result;
    let b: Result;
    if (step.protobuf === 'same-server') {
      const opts = {
        input: step.input,
        interruptAfterMs: step.interrupt ? 10_000 : undefined,
        interruptWhenSettledMs: step.interrupt ? 500 : undefined,
      };
      const args = [`--endpoints=${this.ref.etcd.endpoint}`, ...step.args.map((x) => this.ref.fill(x))];
      a = await run(OURS, args, opts);
      b = await run(REFERENCE, args, opts);
      assert.equal(a.raw.toString('hex'), b.raw.toString('hex'), `stdout bytes of ${what}`);
    } else {
      [a, b] = await Promise.all([this.ours.step(step), this.ref.step(step)]);
      assert.equal(afterHeader(a.raw), afterHeader(b.raw), `stdout bytes after the header of ${what}`);
    }
    assert.equal(a.code, b.code, `exit code of ${what}\nours: ${a.stderr}\nref: ${b.stderr}`);
    assert.deepEqual(a.errors, b.errors, `Error lines of ${what}`);
    return undefined;
  }

  async steps(list: Step[]): Promise<void> {
    for (const s of list) await this.same(s);
  }
}

/**
 * A group's steps run on two pairs at once: one against etcd 3.4, one against our server. Then what
 * Debian's etcdctl printed against each server is compared too.
 */
class Both {
  constructor(
    readonly etcd: Pair,
    readonly ours: Pair | undefined,
  ) {}

  async same(step: Step): Promise<void> {
    const [e, o] = await Promise.allSettled([this.etcd.same(step), this.ours?.same(step)]);
    if (e.status === 'rejected') throw e.reason;
    if (o.status === 'rejected') throw o.reason;
    const a = e.value;
    const b = o.value;
    if (!a || !b || step.serverSpecific) return;
    const key = `etcdctl ${step.args.join(' ')}`;
    if (step.stdout !== false && acrossServers(a.stdout) !== acrossServers(b.stdout))
      serverDiffs.push(
        `${key}: stdout\n  etcd: ${JSON.stringify(a.stdout)}\n  ours: ${JSON.stringify(b.stdout)}`,
      );
    if (a.code !== b.code) serverDiffs.push(`${key}: exit code etcd ${a.code}, ours ${b.code}`);
    if (a.errors.join('\n') !== b.errors.join('\n'))
      serverDiffs.push(
        `${key}: Error lines\n  etcd: ${a.errors.join(' / ')}\n  ours: ${b.errors.join(' / ')}`,
      );
  }

  async steps(list: Step[]): Promise<void> {
    for (const s of list) await this.same(s);
  }
}

/** hex of a marshalled response without its leading header field (field 1, length-delimited) */
function afterHeader(b: Buffer): string {
  const varint = (at: number): [bigint, number] => {
    let v = 0n;
    let shift = 0n;
    while (at < b.length) {
      const c = b[at++];
      v |= BigInt(c & 0x7f) << shift;
      shift += 7n;
      if (c < 0x80) break;
    }
    return [v, at];
  };
  if (b[0] === 0x0a) {
    const [len, at] = varint(1);
    return `HEADER ${b.subarray(at + Number(len)).toString('hex')}`;
  }
  // a bare header (the lease commands): its revision and term, without the cluster and member IDs
  const fields: string[] = [];
  for (let at = 0; at < b.length; ) {
    const [tag, next] = varint(at);
    const [v, after] = varint(next);
    if (tag > 2n * 8n + 0n) fields.push(`${tag >> 3n}=${v}`);
    at = after;
  }
  return `BARE HEADER ${fields.join(' ')}`;
}

/** the lines of each key-value in a -w fields range (--count-only leaves them out) */
const kvFields = /^"(Key|CreateRevision|ModRevision|Version|Value|Lease)" : .*\n/gm;

/** what a group runs its steps on: both pairs, or (snapshot) the etcd pair alone */
type Runner = Pick<Both, 'steps'>;
type Group = [string, (p: Runner) => Promise<void>];

const modes = ['simple', 'json', 'fields'];
const allModes = [...modes, 'table', 'bogus'];

const groups: Record<string, Group> = {};
const group = (name: string, fn: (p: Runner) => Promise<void>) => {
  groups[name] = [name, fn];
};

group('put', (p) =>
  p.steps([
    { args: ['put', 'foo', 'bar'] },
    { args: ['put', 'foo', 'baz', '--prev-kv'] },
    ...modes.map((w) => ({ args: ['put', `k-${w}`, 'v', '-w', w] })),
    { args: ['put', 'foo', 'qux', '--prev-kv', '-w', 'json'] },
    { args: ['put', 'stdin-key'], input: 'from stdin' },
    { args: ['put', 'foo', '--ignore-value'] },
    { args: ['put', 'nokey', '--ignore-value'] },
    { args: ['put', 'foo', 'v', '--lease=zz'] },
    { args: ['put'] },
    { args: ['put', 'foo', 'v', '--ignore-value'] },
    { args: ['put', 'hex\u00e9', 'v\u00e8'] },
    { args: ['put', 'foo', 'v', '-w', 'table'] },
    { args: ['put', 'foo', 'v', '-w', 'nonsense'] },
    { args: ['put', 'foo', 'v', '--ignore-lease'] },
    { args: ['put', 'foo', 'v', '--ignore-lease', '--lease=1'] },
    { args: ['put', 'foo', '--ignore-value', '--ignore-lease'] },
  ]),
);

group('get', (p) =>
  p.steps([
    ...allModes.map((w) => ({ args: ['get', 'foo', '-w', w] })),
    { args: ['get', 'k', '--prefix'] },
    { args: ['get', 'k', '--prefix', '--limit=1', '-w', 'json'] },
    { args: ['get', 'k', '--prefix', '--print-value-only'] },
    { args: ['get', 'k', '--prefix', '--print-value-only', '-w', 'json'] },
    { args: ['get', '', '--from-key'] },
    { args: ['get', 'a', 'k-j'] },
    { args: ['get', 'k', '--prefix', '--sort-by=MODIFY', '--order=DESCEND'] },
    { args: ['get', 'k', '--prefix', '--sort-by=value', '--order=ascend', '-w', 'fields'] },
    { args: ['get', 'k', '--prefix', '--sort-by=create', '--order=DESCEND', '--limit=2'] },
    { args: ['get', 'foo', '--rev=2', '-w', 'json'] },
    { args: ['get', 'hex\u00e9', '--hex'] },
    { args: ['get', 'hex\u00e9', '-w', 'fields'] },
    { args: ['get', 'hex\u00e9', '-w', 'json'] },
    { args: ['get', 'missing', '-w', 'json'] },
    { args: ['get', 'foo', '--rev=100000'] },
    { args: ['get'] },
    { args: ['get', 'a', '--prefix', '--from-key'] },
    { args: ['get', 'a', 'b', '--prefix'] },
    { args: ['get', 'a', '--sort-by=size'] },
    { args: ['get', 'a', '--consistency=x'] },
    { args: ['get', 'foo', '--hex=true'] },
    { args: ['get', 'k', '--prefix', '--keys-only'] },
    { args: ['get', 'k', '--prefix', '--keys-only', '-w', 'json'] },
    // --count-only came after 3.4.23 (only with -w fields): the reference prints the whole range
    {
      args: ['get', 'k', '--prefix', '--count-only', '-w', 'fields'],
      ref: { args: ['get', 'k', '--prefix', '-w', 'fields'], strip: kvFields },
    },
    { args: ['get', 'foo', '--consistency=s'] },
    { args: ['get', 'foo', '--consistency=l', '-w', 'json'] },
    { args: ['get', 'k', '--from-key', '--limit=2', '--keys-only'] },
    { args: ['get', 'foo', '--nonexistent-flag'] },
    { args: ['get', 'foo', '-x'] },
    { args: ['get', 'foo', '--limit'] },
    { args: ['get', 'foo', '--limit=ten'] },
    { args: ['get', 'foo', '--hex=maybe'] },
    { args: ['nosuchcommand'] },
  ]),
);

group('del', (p) =>
  p.steps([
    { args: ['put', 'd/1', 'a'] },
    { args: ['put', 'd/2', 'b'] },
    { args: ['put', 'd/3', 'c'] },
    { args: ['put', 'e/1', 'c'] },
    { args: ['del', 'd/1', '--prev-kv'] },
    { args: ['del', 'd/', '--prefix', '-w', 'json'] },
    { args: ['del', 'nothing', '-w', 'fields'] },
    { args: ['del', 'e', '--from-key', '--prev-kv', '-w', 'fields'] },
    { args: ['del'] },
    { args: ['del', 'a', '--prefix', '--from-key'] },
  ]),
);

group('txn', (p) =>
  p.steps([
    { args: ['put', 't1', 'v1'] },
    { args: ['txn'], input: 'mod("t1") > "0"\n\nput t2 ok\nget t1\n\nput t2 fail\n\n' },
    {
      args: ['txn', '-w', 'json'],
      input: 'value("t1") = "nope"\n\nput t2 ok\n\nget t1 --prefix\ndel t2 --prev-kv\n\n',
    },
    { args: ['txn', '-w', 'fields'], input: 'ver("t1") = "1"\nc("t1") != "0"\n\nget t1\n\n\n' },
    { args: ['txn', '-i'], input: 'val("t1") = "v1"\n\nput t3 x\n\n\n' },
    { args: ['txn'], input: 'mod("t1") > "0"\n' },
    { args: ['txn'], input: 'bogus\n\n\n\n' },
    { args: ['txn'], input: 'create("t1") > "x"\n\n\n\n' },
    { args: ['txn', 'extra'] },
  ]),
);

group('endpoint, alarm, defrag, move-leader, version, check', (p) =>
  p.steps([
    { args: ['endpoint', 'health'] },
    { args: ['endpoint', 'health', '-w', 'json'] },
    { args: ['endpoint', 'health', '-w', 'table'] },
    { args: ['endpoint', 'health', '--cluster'] },
    { args: ['endpoint', 'status', '-w', 'json'] },
    { args: ['endpoint', 'status', '-w', 'fields'] },
    { args: ['endpoint', 'hashkv', '-w', 'json'] },
    { args: ['endpoint', 'hashkv', '--cluster'] },
    { args: ['endpoint', 'status', '--cluster', '-w', 'json'] },
    { args: ['alarm', 'list'] },
    { args: ['alarm', 'list', '-w', 'json'] },
    { args: ['alarm', 'disarm'] },
    { args: ['alarm', 'disarm', '-w', 'json'] },
    { args: ['alarm', 'list', 'x'] },
    { args: ['defrag'] },
    { args: ['move-leader', '{self}'] },
    { args: ['move-leader', '1234'] },
    { args: ['move-leader'] },
    { args: ['version'], noEndpoint: true },
    { args: ['put', '/perf/a', 'x'] },
    { args: ['check', 'perf', '--prefix=/perf/'] },
    { args: ['check', 'perf', '--load=bogus'] },
    { args: ['check', 'perf', 'extra', '--load=huge'] },
  ]),
);

group('lease', (p) =>
  p.steps([
    { args: ['lease', 'grant', '100'], learn: 'lease' },
    { args: ['lease', 'grant', '200', '-w', 'json'], learn: 'lease' },
    { args: ['lease', 'grant', '300', '-w', 'fields'], learn: 'lease' },
    { args: ['put', 'leased', 'v', '--lease={lease0}'] },
    { args: ['lease', 'timetolive', '{lease0}', '--keys'], ttl: true },
    { args: ['lease', 'timetolive', '{lease0}', '--keys', '-w', 'json'], ttl: true },
    { args: ['lease', 'timetolive', '{lease1}', '-w', 'fields'], ttl: true },
    { args: ['lease', 'list'] },
    { args: ['lease', 'list', '-w', 'json'] },
    { args: ['lease', 'keep-alive', '--once', '{lease0}'] },
    { args: ['lease', 'keep-alive', '--once', '{lease0}', '-w', 'json'] },
    { args: ['lease', 'revoke', '{lease0}'] },
    { args: ['lease', 'revoke', '{lease1}', '-w', 'json'] },
    { args: ['lease', 'revoke', '{lease2}', '-w', 'fields'] },
    { args: ['get', 'leased'] },
    { args: ['lease', 'timetolive', '{lease0}'] },
    { args: ['lease', 'revoke', '{lease0}'] },
    { args: ['lease', 'keep-alive', '--once', '{lease0}'] },
    { args: ['lease', 'grant'] },
    { args: ['lease', 'grant', 'ten'] },
    { args: ['lease', 'revoke', 'xyz'] },
    { args: ['lease', 'timetolive'] },
    { args: ['lease', 'keep-alive'] },
    { args: ['lease', 'grant', '5'], learn: 'lease' },
    { args: ['lease', 'keep-alive', '{lease3}'], interrupt: true },
    // etcdctl 3.4's keep-alive dies by SIGINT without revoking: the lease lives on until its TTL
    { args: ['lease', 'timetolive', '{lease3}'], ttl: true },
    { args: ['lease', 'keep-alive', '{lease3}', '-w', 'json'], interrupt: true },
  ]),
);

group('compaction', (p) =>
  p.steps([
    { args: ['put', 'c', '1'] },
    { args: ['put', 'c', '2'] },
    { args: ['compaction', '3'] },
    { args: ['compaction', '4', '--physical'] },
    { args: ['get', 'c', '--rev=2'] },
    { args: ['compaction', '2'] },
    { args: ['compaction'] },
    { args: ['compaction', 'x'] },
    { args: ['watch', 'c', '--rev=2'], interrupt: true },
  ]),
);

group('watch', (p) =>
  p.steps([
    { args: ['put', 'w1', 'a'] },
    { args: ['put', 'w1', 'b'] },
    { args: ['del', 'w1'] },
    { args: ['watch', 'w1', '--rev=1'], interrupt: true },
    { args: ['watch', 'w', '--prefix', '--rev=1', '--prev-kv'], interrupt: true },
    { args: ['watch', 'w1', '--rev=1', '-w', 'json'], interrupt: true },
    { args: ['watch', 'w1', '--rev=1', '-w', 'fields'], interrupt: true },
    { args: ['watch', 'w1', 'w2', '--rev=1', '--hex'], interrupt: true },
    {
      args: [
        'watch',
        'w1',
        '--rev=1',
        '--',
        'sh',
        '-c',
        'echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_REVISION"',
      ],
      interrupt: true,
    },
    { args: ['watch', '--rev=1'], env: { ETCDCTL_WATCH_KEY: 'w1' }, interrupt: true },
    { args: ['watch', 'w1', '--rev=1', '--'] },
    { args: ['watch'] },
    { args: ['watch', 'a', 'b', '--prefix'] },
    { args: ['watch', 'x'], env: { ETCDCTL_WATCH_RANGE_END: 'y' } },
    // --progress-notify came after 3.4.23; progress notifications are minutes apart, so nothing shows
    {
      args: ['watch', 'w1', '--rev=1', '--progress-notify'],
      ref: { args: ['watch', 'w1', '--rev=1'] },
      interrupt: true,
    },
    // stdin stays open: at its end watch -i exits, racing the events it is printing
    { args: ['watch', '-i'], input: 'watch w1 --rev=1\n', interrupt: true, stdinOpen: true },
    {
      args: ['watch', '-i'],
      // one watch: two would print their events in whichever order their streams answer
      input: 'watch w --prefix --rev=2 --prev-kv\n',
      interrupt: true,
      stdinOpen: true,
    },
    { args: ['watch', '-i'], input: 'bogus w1\n', interrupt: true },
    { args: ['watch', '-i', 'w1'] },
  ]),
);

group('member', (p) =>
  p.steps([
    ...allModes.map((w) => ({ args: ['member', 'list', '-w', w] })),
    {
      args: ['member', 'add', 'm2', '--peer-urls=http://127.0.0.1:1', '--learner'],
      learn: 'member' as const,
      unordered: true,
    },
    { args: ['member', 'list'], unordered: true },
    { args: ['member', 'update', '{member0}', '--peer-urls=http://127.0.0.1:2'] },
    {
      args: ['member', 'list', '-w', 'table'],
      unordered: true,
      serverSpecific: "etcd 3.4's member update drops the learner flag; ours keeps it",
    },
    { args: ['member', 'promote', '{member0}'] },
    { args: ['member', 'remove', '{member0}'] },
    {
      args: ['member', 'add', 'm3', '--peer-urls=http://127.0.0.1:3', '--learner', '-w', 'json'],
      learn: 'member' as const,
      unordered: true,
    },
    { args: ['member', 'remove', '{member1}', '-w', 'json'] },
    { args: ['member', 'remove', '{member1}'] },
    { args: ['member', 'add'] },
    { args: ['member', 'add', 'm4'] },
    { args: ['member', 'add', 'm4', 'http://x'] },
    { args: ['member', 'remove', 'zz'] },
    { args: ['member', 'promote', 'xyz'] },
  ]),
);

group('snapshot', async (runner) => {
  await runner.steps([{ args: ['snapshot', 'save', 'snap.db'] }, { args: ['snapshot', 'save'] }]);
  // status: on each server, both binaries read the same file (the one Debian's etcdctl saved)
  const pairs =
    runner instanceof Both ? [runner.etcd, runner.ours].filter((p) => p !== undefined) : [runner as Pair];
  for (const p of pairs) {
    const file = join(p.ref.dir, 'snap.db');
    for (const w of [...modes, 'table']) {
      const step = { args: ['snapshot', 'status', file, '-w', w], noEndpoint: true };
      const [a, b] = await Promise.all([p.ours.step(step), p.ref.step(step)]);
      assert.equal(a.stdout, b.stdout, `${p.server}: snapshot status -w ${w}`);
      assert.equal(a.code, b.code);
    }
  }
  await runner.steps([{ args: ['snapshot', 'status', '/nonexistent/snap.db'], noEndpoint: true }]);
});

group('lock and elect', (p) =>
  p.steps([
    { args: ['lock', 'l1'], interrupt: true, learn: 'key-lease' },
    { args: ['lock', 'l1', '--', 'sh', '-c', 'echo locked ${ETCD_LOCK_KEY%%/*}'] },
    { args: ['lock', 'l1', 'true'] },
    { args: ['lock', 'l1', 'false'] },
    { args: ['lock'] },
    { args: ['lock', 'l2', '--ttl=5', '--', 'sh', '-c', 'echo ttl $ETCD_LOCK_KEY'], stdout: false },
    { args: ['lock', 'l2', '--ttl=5', 'echo', 'with', 'args'] },
    { args: ['lock', 'l2', '--ttl=x'] },
    { args: ['elect', '-l', 'e1'], interrupt: true },
    { args: ['elect', 'e1', 'p1'], interrupt: true, learn: 'key-lease' },
    { args: ['elect', 'e1'] },
    { args: ['elect', 'e1', 'p', '-l'] },
    { args: ['elect'] },
  ]),
);

group('user, role, auth', (p) =>
  p.steps([
    { args: ['user', 'add', 'root:rootpw'] },
    { args: ['user', 'add', 'alice', '--interactive=false'], input: 'alicepw\n' },
    { args: ['user', 'add', 'bob', '--new-user-password=bobpw', '-w', 'json'] },
    { args: ['user', 'add', 'alice:x'] },
    { args: ['user', 'add', ':x'] },
    { args: ['user', 'list'] },
    { args: ['role', 'add', 'r1'] },
    { args: ['role', 'add', 'r2', '-w', 'fields'] },
    { args: ['role', 'grant-permission', 'r1', 'read', 'a'] },
    { args: ['role', 'grant-permission', 'r1', 'readwrite', 'p/', '--prefix'] },
    { args: ['role', 'grant-permission', 'r1', 'write', 'x', 'y'] },
    { args: ['role', 'grant-permission', 'r1', 'write', 'z', '--from-key'] },
    { args: ['role', 'grant-permission', 'r1', 'bogus', 'a'] },
    { args: ['role', 'get', 'r1'] },
    { args: ['role', 'get', 'r1', '-w', 'json'] },
    { args: ['role', 'list'] },
    { args: ['role', 'revoke-permission', 'r1', 'a'] },
    { args: ['role', 'revoke-permission', 'r1', 'x', 'y'] },
    { args: ['role', 'revoke-permission', 'r1', 'z', '--from-key'] },
    { args: ['role', 'revoke-permission', 'r1', 'nope'] },
    { args: ['user', 'grant-role', 'alice', 'r1'] },
    { args: ['user', 'grant-role', 'alice', 'r2', '-w', 'json'] },
    { args: ['user', 'get', 'alice'] },
    { args: ['user', 'get', 'alice', '--detail'] },
    { args: ['user', 'get', 'alice', '-w', 'json'] },
    { args: ['user', 'revoke-role', 'alice', 'r2'] },
    { args: ['user', 'passwd', 'bob', '--interactive=false'], input: 'newpw\n' },
    { args: ['auth', 'enable'] },
    { args: ['get', 'a'] },
    { args: ['get', 'a', '--user=alice:alicepw'] },
    { args: ['put', 'a', 'v', '--user=alice:alicepw'] },
    { args: ['get', 'a', '--user=alice:wrong'] },
    { args: ['user', 'list', '--user=root:rootpw'] },
    { args: ['get', 'a'], env: { ETCDCTL_USER: 'root:rootpw' } },
    { args: ['auth', 'disable', '--user=root:rootpw'] },
    { args: ['role', 'delete', 'r2'] },
    { args: ['user', 'delete', 'bob'] },
    { args: ['user', 'delete', 'nobody'] },
    { args: ['role', 'get', 'nothing'] },
    { args: ['auth', 'enable', 'x'] },
  ]),
);

group('global flags and environment', (p) =>
  p.steps([
    { args: ['get', 'foo'], env: { ETCDCTL_WRITE_OUT: 'json' } },
    { args: ['get', 'foo', '-w', 'fields'], env: { ETCDCTL_WRITE_OUT: 'json' } },
    { args: ['get', 'foo'], env: { ETCDCTL_HEX: 'true' } },
    { args: ['get', 'foo', '--command-timeout=3s', '--dial-timeout=1s', '--keepalive-time=5s'] },
    { args: ['get', 'foo', '--command-timeout=bogus'] },
    { args: ['--write-out=json', 'get', 'foo'] },
    { args: ['get', 'foo'], env: { ETCDCTL_API: '3' } },
    { args: ['get', 'foo', '--hex', '-w', 'fields'] },
    { args: ['put', 'foo', 'v', '-w', 'table'], env: { ETCDCTL_HEX: 'true' } },
    { args: ['get', 'foo'], env: { ETCDCTL_COMMAND_TIMEOUT: '3s', ETCDCTL_DIAL_TIMEOUT: '1s' } },
    { args: ['get', 'foo'], env: { ETCDCTL_INSECURE_TRANSPORT: 'true', ETCDCTL_KEEPALIVE_TIME: '3s' } },
    ...[
      ['get', 'foo'],
      ['put', 'foo', 'v'],
      ['member', 'list'],
    ].map((c) => ({
      args: [...c, '--endpoints=127.0.0.1:1', '--dial-timeout=300ms', '--command-timeout=1s'],
      noEndpoint: true,
    })),
    { args: ['get', 'foo'], env: { ETCDCTL_ENDPOINTS: '{ep}' }, noEndpoint: true },
  ]),
);

// -w protobuf: the marshalled response, byte for byte
group('protobuf', (p) =>
  p.steps([
    { args: ['put', 'pb/a', 'v1'] },
    { args: ['put', 'pb/b', 'v2', '-w', 'protobuf'], protobuf: 'after-header' },
    { args: ['put', 'pb/b', 'v3', '--prev-kv', '-w', 'protobuf'], protobuf: 'after-header' },
    { args: ['put', 'pb/neg', 'x', '-w', 'protobuf'], protobuf: 'after-header' },
    { args: ['get', 'pb/', '--prefix', '-w', 'protobuf'], protobuf: 'same-server' },
    {
      args: ['get', 'pb/', '--prefix', '--keys-only', '--limit=1', '-w', 'protobuf'],
      protobuf: 'same-server',
    },
    { args: ['get', 'missing', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['get', 'pb/a', '--print-value-only', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['del', 'missing', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['del', 'pb/neg', '--prev-kv', '-w', 'protobuf'], protobuf: 'after-header' },
    {
      args: ['txn', '-w', 'protobuf'],
      input: 'mod("pb/a") > "0"\n\nget pb/a\nget pb/ --prefix --limit=1\n\nget missing\n\n',
      protobuf: 'same-server',
    },
    {
      args: ['txn', '-w', 'protobuf'],
      input: 'value("pb/a") = "no"\n\nput pb/x 1\n\nput pb/y 2\ndel pb/b --prev-kv\n\n',
      protobuf: 'after-header',
    },
    {
      args: ['watch', 'pb/', '--prefix', '--rev=1', '--prev-kv', '-w', 'protobuf'],
      interrupt: true,
      protobuf: 'same-server',
    },
    { args: ['lease', 'grant', '100'], learn: 'lease' },
    { args: ['lease', 'grant', '100', '-w', 'protobuf'], protobuf: 'after-header' },
    { args: ['lease', 'timetolive', '{lease0}', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['lease', 'list', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['lease', 'keep-alive', '--once', '{lease0}', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['member', 'list', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['alarm', 'list', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['move-leader', '{self}', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['endpoint', 'status', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['endpoint', 'health', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['endpoint', 'hashkv', '-w', 'protobuf'], protobuf: 'same-server' },
    { args: ['compaction', '2', '-w', 'protobuf'] },
    { args: ['version', '-w', 'protobuf'], noEndpoint: true },
    // the error line names the response's IDs
    { args: ['lease', 'revoke', '{lease0}', '-w', 'protobuf'] },
  ]),
);

// cobra's help pages: the root, `help`, groups, and every command the quick start uses
group('help', (p) =>
  p.steps(
    [
      [],
      ['--help'],
      ['-h'],
      ['help'],
      ['help', 'get'],
      ['help', 'lease', 'grant'],
      ['help', 'nosuch'],
      ['lease'],
      ['member', '--help'],
      ['endpoint', '--help'],
      ...['put', 'get', 'del', 'watch', 'txn', 'lock', 'elect', 'compaction', 'version', 'defrag'].map(
        (c) => [c, '--help'],
      ),
      ...['grant', 'revoke', 'keep-alive', 'timetolive', 'list'].map((c) => ['lease', c, '--help']),
      ...['list', 'add', 'remove', 'update', 'promote'].map((c) => ['member', c, '--help']),
      ...['health', 'status', 'hashkv'].map((c) => ['endpoint', c, '-h']),
      ['alarm', 'list', '--help'],
      ['move-leader', '--help'],
      ['check', 'perf', '--help'],
      ['user', 'add', '--help'],
      ['role', 'grant-permission', '--help'],
      ['get', '--help', 'foo', '--prefix'],
    ].map((args) => ({ args, noEndpoint: true })),
  ),
);

const lanes: string[][] = [
  ['put', 'get', 'del', 'txn', 'endpoint, alarm, defrag, move-leader, version, check', 'watch', 'compaction'],
  ['lease', 'member', 'snapshot', 'lock and elect'],
  ['user, role, auth', 'global flags and environment', 'help', 'protobuf'],
];

const excluded = {
  ours: new Set([
    'help', // no server involved
    ...(OUR_SERVER_HAS_AUTH ? [] : ['user, role, auth']),
    ...(OUR_SERVER_SNAPSHOT_READY ? [] : ['snapshot']),
  ]),
};

describe('golden: etcdctl 3.4 compatibility, against etcd 3.4 and our server', {
  skip,
  concurrency: true,
}, () => {
  // KV_GOLDEN_GROUPS=watch,lease runs only those groups (while working on them)
  const only = process.env.KV_GOLDEN_GROUPS?.split(',');
  for (const all of lanes) {
    const lane = all.filter((g) => !only || only.includes(g));
    if (lane.length === 0) continue;
    test(lane.join(' / '), async (t) => {
      const started = await Promise.allSettled([Pair.start('etcd'), Pair.start('ours')]);
      try {
        for (const r of started) if (r.status === 'rejected') throw r.reason;
        const [etcd, ours] = started.map((r) => (r as PromiseFulfilledResult<Pair>).value);
        for (const name of lane) {
          const [, fn] = groups[name];
          await t.test(name, () =>
            // a group our server cannot run yet runs on the etcd pair alone
            fn(excluded.ours.has(name) ? etcd : new Both(etcd, ours)),
          );
        }
      } finally {
        for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
      }
    });
  }
});

test('our server answers etcdctl 3.4 as etcd 3.4 does (same steps, same output)', { skip }, () => {
  assert.deepEqual(serverDiffs, [], serverDiffs.join('\n'));
});

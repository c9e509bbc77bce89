// Debian's etcd 3.4 and our server side by side in one run: put and range (one key, linearizable and
// serializable), 1, 16 and 256 clients (1x1, 4x4, 16x16 = connections x streams each), against 1-member
// and 3-member clusters on 127.0.0.1, printing req/s, p99 latency and server CPU per request.
// Each cell runs etcd, then ours, back to back, so the ratio sees the same machine load; absolute figures
// on a shared machine move a lot between runs, the ratios much less.
//   node dist/bench/side-by-side.js [--short] [--seconds N] [--members 1,3] [--cells put-1x1,put-16x16,...]
//                                   [--rounds R] [--base /path/to/other/apps/server/bin/etcd] [--peer-auto-tls]
//   --rounds: runs each cell R times (etcd, base, ours in turn) and prints the medians (default 1).
//   --base: also runs another build of ours (e.g. main's) in each cell, for before/after in one run.
//   --peer-auto-tls: members talk TLS to each other (https:// peer URLs, self-signed certificates).
//   --short: 1.5 s per cell after 0.3 s of warm-up (CI: checks that the script works, not speed; a loaded
//   machine answers 256 in-flight puts in ~1 s, so shorter cells can end before any answer).
// Load comes from dist/bench/loadgen.js in its own process; writes go to the leader. Every server first
// gets an untimed burst of 16x16 puts (2x the warm-up time) so V8's JIT is warm, as in a long-running member.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../test-ports';

const ETCD = '/usr/bin/etcd';
const ETCDCTL = '/usr/bin/etcdctl';
const OURS = path.join(__dirname, '..', '..', 'bin', 'etcd');
const KEY = Buffer.from('bench-key-0000');

export interface Cell {
  name: string;
  method: 'Put' | 'Range';
  body: Buffer;
  conns: number;
  streams: number;
}

export interface Options {
  seconds: number;
  warmup: number;
  members: number[];
  cells: string[];
  /** Each cell runs this many times, servers taking turns; the medians are printed. */
  rounds: number;
  /** Another build's bin/etcd, measured in each cell as "base". */
  base?: string;
  /** https:// peer URLs with --peer-auto-tls on every member. */
  peerAutoTls?: boolean;
  out: (line: string) => void;
}

export interface Result {
  members: number;
  cell: string;
  etcd: Measured;
  ours: Measured;
  base?: Measured;
}

function frame(msg: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** PutRequest{key, value: 256 bytes}. */
function putBody(): Buffer {
  const value = Buffer.alloc(256, 'v');
  const len = Buffer.from([(value.length & 0x7f) | 0x80, value.length >> 7]);
  return frame(Buffer.concat([Buffer.from([0x0a, KEY.length]), KEY, Buffer.from([0x12]), len, value]));
}

/** RangeRequest{key, serializable}. */
function rangeBody(serializable: boolean): Buffer {
  const parts = [Buffer.from([0x0a, KEY.length]), KEY];
  if (serializable) parts.push(Buffer.from([0x38, 0x01]));
  return frame(Buffer.concat(parts));
}

// Shapes as etcd's benchmark tool names them: 1 client on 1 connection, 16 clients on 4 connections,
// 256 clients on 16 connections (NxM = N connections x M concurrent streams each). The busiest shape
// runs first in each group: it also warms the code path the latency-bound ones then measure.
export const ALL_CELLS: Cell[] = [
  { name: 'put-16x16', method: 'Put', body: putBody(), conns: 16, streams: 16 },
  { name: 'put-4x4', method: 'Put', body: putBody(), conns: 4, streams: 4 },
  { name: 'put-1x1', method: 'Put', body: putBody(), conns: 1, streams: 1 },
  { name: 'range-l-16x16', method: 'Range', body: rangeBody(false), conns: 16, streams: 16 },
  { name: 'range-l-4x4', method: 'Range', body: rangeBody(false), conns: 4, streams: 4 },
  { name: 'range-l-1x1', method: 'Range', body: rangeBody(false), conns: 1, streams: 1 },
  { name: 'range-s-16x16', method: 'Range', body: rangeBody(true), conns: 16, streams: 16 },
  { name: 'range-s-4x4', method: 'Range', body: rangeBody(true), conns: 4, streams: 4 },
  { name: 'range-s-1x1', method: 'Range', body: rangeBody(true), conns: 1, streams: 1 },
];

async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

export type Kind = 'etcd' | 'ours' | 'base';

export interface Cluster {
  kind: Kind;
  children: ChildProcess[];
  clientPorts: number[];
  leaderPort: number;
}

async function healthy(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      if ((await r.text()).includes('"true"')) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`member on port ${port} did not become healthy`);
}

/** The client port of the leader, through etcdctl's endpoint status (works against both servers). */
function leaderPort(ports: number[]): number {
  if (ports.length === 1) return ports[0]!;
  const out = execFileSync(
    ETCDCTL,
    ['--endpoints', ports.map((p) => `127.0.0.1:${p}`).join(','), 'endpoint', 'status', '-w', 'json'],
    { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 },
  );
  // Member IDs are uint64: compare them as decimal strings, not as JS numbers.
  const text = out.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"');
  const st = JSON.parse(text) as {
    Endpoint: string;
    Status: { header: { member_id: string }; leader: string };
  }[];
  const lead = st.find((s) => s.Status.header.member_id === s.Status.leader);
  if (!lead) throw new Error(`no leader among ${ports.join(',')}`);
  return Number(lead.Endpoint.split(':').pop());
}

export async function startCluster(
  kind: Kind,
  members: number,
  dir: string,
  bin = OURS,
  peerAutoTls = false,
): Promise<Cluster> {
  const peerScheme = peerAutoTls ? 'https' : 'http';
  const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
  const clientPorts: number[] = [];
  const peerPorts: number[] = [];
  for (let i = 0; i < members; i++) {
    clientPorts.push(await freePort());
    peerPorts.push(await freePort());
  }
  const initial = names.map((n, i) => `${n}=${peerScheme}://127.0.0.1:${peerPorts[i]}`).join(',');
  const children: ChildProcess[] = [];
  for (let i = 0; i < members; i++) {
    const args = [
      '--name',
      names[i]!,
      '--data-dir',
      path.join(dir, `${kind}-${members}-${names[i]}`),
      '--listen-client-urls',
      `http://127.0.0.1:${clientPorts[i]}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${clientPorts[i]}`,
      '--listen-peer-urls',
      `${peerScheme}://127.0.0.1:${peerPorts[i]}`,
      '--initial-advertise-peer-urls',
      `${peerScheme}://127.0.0.1:${peerPorts[i]}`,
      '--initial-cluster',
      initial,
      '--initial-cluster-token',
      `bench-${kind}-${members}`,
      ...(peerAutoTls ? ['--peer-auto-tls'] : []),
    ];
    const child =
      kind === 'etcd'
        ? spawn(ETCD, args, { stdio: 'ignore' })
        : spawn(process.execPath, [bin, ...args, '--log-level', 'error'], { stdio: 'ignore' });
    children.push(child);
  }
  const c: Cluster = { kind, children, clientPorts, leaderPort: 0 };
  try {
    const deadline = Date.now() + 30_000;
    for (const p of clientPorts) await healthy(p, deadline);
    c.leaderPort = leaderPort(clientPorts);
  } catch (err) {
    await stopCluster(c);
    throw err;
  }
  return c;
}

export function stopCluster(c: Cluster): Promise<void> {
  return Promise.all(
    c.children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  ).then(() => {});
}

/** CPU seconds (user + system) used so far by these processes. */
export function cpuSeconds(children: ChildProcess[]): number {
  let total = 0;
  for (const c of children) {
    try {
      const stat = fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
    } catch {}
  }
  return total;
}

interface Measured {
  rps: number;
  cpuUs: number;
  failed: number;
  p99Ms: number;
}

/** The run with the median rate (its CPU figure comes with it); failures are summed. */
function median(runs: Measured[]): Measured | undefined {
  if (runs.length === 0) return undefined;
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const m = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...m, failed: runs.reduce((n, r) => n + r.failed, 0) };
}

function runCell(c: Cluster, cell: Cell, bodyFile: string, o: Options): Measured {
  const url = `http://127.0.0.1:${c.leaderPort}/etcdserverpb.KV/${cell.method}`;
  const cpu0 = cpuSeconds(c.children);
  const out = execFileSync(
    process.execPath,
    [
      path.join(__dirname, 'loadgen.js'),
      url,
      bodyFile,
      String(cell.conns),
      String(cell.streams),
      String(o.seconds),
      String(o.warmup),
    ],
    { encoding: 'utf8', timeout: (o.seconds + o.warmup + 30) * 1000 },
  );
  const cpu = cpuSeconds(c.children) - cpu0;
  const r = JSON.parse(out.trim().split('\n').pop()!) as {
    ok: number;
    failed: number;
    rps: number;
    p99Ms: number;
  };
  // The CPU window includes the warm-up; count its requests too by scaling with the measured rate.
  const reqs = r.rps * (o.seconds + o.warmup);
  return {
    rps: r.rps,
    failed: r.failed,
    p99Ms: r.p99Ms,
    cpuUs: reqs > 0 ? Math.round((cpu * 1e6) / reqs) : 0,
  };
}

export async function sideBySide(o: Options): Promise<Result[]> {
  const cells = ALL_CELLS.filter((c) => o.cells.includes(c.name));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-side-by-side-'));
  const results: Result[] = [];
  o.out(
    `${os.cpus().length} cpus, load average ${os.loadavg()[0]!.toFixed(1)}; ${o.seconds}s per cell after ${o.warmup}s warm-up, ` +
      `median of ${o.rounds} round(s)${o.peerAutoTls ? ', peer TLS (auto)' : ''}; ` +
      'ratio = ours/etcd req/s; p99 in ms; cpu = server CPU us per request (all members)',
  );
  o.out(
    `members  cell             etcd req/s  ours req/s   ratio  etcd p99  ours p99  etcd cpu  ours cpu${o.base ? '  base req/s   ratio  base p99  base cpu' : ''}`,
  );
  try {
    for (const cell of ALL_CELLS) fs.writeFileSync(path.join(dir, `${cell.name}.bin`), cell.body);
    for (const members of o.members) {
      const clusters: Cluster[] = [];
      try {
        const etcd = await startCluster('etcd', members, dir, OURS, o.peerAutoTls);
        clusters.push(etcd);
        const ours = await startCluster('ours', members, dir, OURS, o.peerAutoTls);
        clusters.push(ours);
        const base = o.base ? await startCluster('base', members, dir, o.base, o.peerAutoTls) : undefined;
        if (base) clusters.push(base);
        // Our server runs on V8, whose JIT needs a few thousand calls to reach steady state (a cold
        // member answers 1x1 puts ~2.5x slower): every server gets the same untimed burst first.
        const warm = { ...o, seconds: o.warmup * 2, warmup: 0 };
        for (const c of clusters)
          runCell(c, ALL_CELLS[0]!, path.join(dir, `${ALL_CELLS[0]!.name}.bin`), warm);
        for (const cell of cells) {
          const body = path.join(dir, `${cell.name}.bin`);
          const runs: Measured[][] = [[], [], []];
          for (let r = 0; r < o.rounds; r++) {
            runs[0]!.push(runCell(etcd, cell, body, o));
            if (base) runs[1]!.push(runCell(base, cell, body, o));
            runs[2]!.push(runCell(ours, cell, body, o));
          }
          const e = median(runs[0]!)!;
          const b = median(runs[1]!);
          const u = median(runs[2]!)!;
          results.push({ members, cell: cell.name, etcd: e, ours: u, base: b });
          const ratio = (x: number) => (e.rps > 0 ? (x / e.rps).toFixed(2) : '-');
          const failed =
            e.failed + u.failed + (b?.failed ?? 0) > 0
              ? `  (failed: etcd ${e.failed}, ours ${u.failed}${b ? `, base ${b.failed}` : ''})`
              : '';
          const baseCols = b
            ? ` ${String(b.rps).padStart(11)} ${ratio(b.rps).padStart(7)} ${b.p99Ms.toFixed(2).padStart(9)} ${String(b.cpuUs).padStart(9)}`
            : '';
          o.out(
            `${String(members).padStart(7)}  ${cell.name.padEnd(15)} ${String(e.rps).padStart(11)} ${String(u.rps).padStart(11)} ${ratio(u.rps).padStart(7)} ${e.p99Ms.toFixed(2).padStart(9)} ${u.p99Ms.toFixed(2).padStart(9)} ${String(e.cpuUs).padStart(9)} ${String(u.cpuUs).padStart(9)}${baseCols}${failed}`,
          );
        }
      } finally {
        for (const c of clusters) await stopCluster(c);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 5,
    warmup: 1,
    rounds: 1,
    members: [1, 3],
    cells: ALL_CELLS.map((c) => c.name),
    out: (l) => console.log(l),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--short') {
      o.seconds = 1.5;
      o.warmup = 0.3;
    } else if (a === '--seconds') o.seconds = Math.min(10, Number(argv[++i]));
    else if (a === '--members') o.members = argv[++i]!.split(',').map(Number);
    else if (a === '--cells') o.cells = argv[++i]!.split(',');
    else if (a === '--rounds') o.rounds = Math.max(1, Math.min(9, Number(argv[++i])));
    else if (a === '--base') o.base = path.resolve(argv[++i]!);
    else if (a === '--peer-auto-tls') o.peerAutoTls = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (require.main === module) {
  sideBySide(parseArgs(process.argv.slice(2))).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

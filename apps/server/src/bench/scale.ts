// Memory and disk at scale, Debian's etcd 3.4 beside ours in one run, each a fresh 1-member cluster:
//   keys:     N keys with 256-byte values (default 1,000,000), then RSS and data-dir size;
//   watchers: W watchers (default 10,000) on distinct keys over 100 watch streams, then RSS;
//   leases:   L leases (default 100,000, TTL 1 hour) granted, then RSS and data-dir size.
//   node dist/bench/scale.js [--keys N] [--watchers W] [--leases L] [--servers etcd,ours] [--short]
// --short (CI) uses 2,000 keys, 200 watchers, 2,000 leases: it checks that the script works, not sizes.
// Load is pipelined over 16 HTTP/2 connections x 16 streams from this process; RSS is VmRSS of the
// server process, disk is the space the data dir's files take (du), after the writes were acknowledged.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdserverpb, FrameReader, frameMessage } from '@kv/api-proto';
import { type Cluster, type Kind, startCluster, stopCluster } from './side-by-side';

export interface ScaleOptions {
  keys: number;
  watchers: number;
  leases: number;
  servers: Kind[];
  out: (line: string) => void;
}

export interface ScaleResult {
  kind: Kind;
  idleRssMiB: number;
  keys: { seconds: number; rssMiB: number; diskMiB: number };
  watchers: { seconds: number; rssMiB: number; baseRssMiB: number };
  leases: { seconds: number; rssMiB: number; diskMiB: number };
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

function diskMiB(dir: string): number {
  const kb = Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
  return Math.round((kb / 1024) * 10) / 10;
}

function dataDirOf(c: Cluster): string {
  const pid = c.children[0]!.pid!;
  const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return args[args.indexOf('--data-dir') + 1]!;
}

function sessions(port: number, n: number): http2.ClientHttp2Session[] {
  return Array.from({ length: n }, () => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', () => {});
    return s;
  });
}

/** One unary call; resolves with the response message, rejects on a non-zero grpc-status. */
function unary(s: http2.ClientHttp2Session, method: string, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = s.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('trailers', (t) => {
      status = String(t['grpc-status']);
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', reject);
    req.on('close', () => {
      if (status !== '0') return reject(new Error(`${method}: grpc-status ${status}`));
      resolve(Buffer.concat(chunks).subarray(5));
    });
    req.end(body);
  });
}

/** Runs `count` calls with 16 x 16 in flight; `body(i)` makes the i-th request. */
async function pipelined(
  port: number,
  method: string,
  count: number,
  body: (i: number) => Buffer,
): Promise<number> {
  const conns = sessions(port, 16);
  const t0 = performance.now();
  let next = 0;
  const worker = async (s: http2.ClientHttp2Session) => {
    while (next < count) await unary(s, method, body(next++));
  };
  try {
    await Promise.all(conns.flatMap((s) => Array.from({ length: 16 }, () => worker(s))));
  } finally {
    for (const s of conns) s.close();
  }
  return (performance.now() - t0) / 1000;
}

const VALUE = Buffer.alloc(256, 'v');
const keyOf = (i: number) => Buffer.from(`key-${String(i).padStart(8, '0')}`);

async function loadKeys(port: number, n: number): Promise<number> {
  return pipelined(port, '/etcdserverpb.KV/Put', n, (i) =>
    frameMessage(etcdserverpb.PutRequest.encode({ key: keyOf(i), value: VALUE }).finish()),
  );
}

async function grantLeases(port: number, n: number): Promise<number> {
  return pipelined(port, '/etcdserverpb.Lease/LeaseGrant', n, () =>
    frameMessage(etcdserverpb.LeaseGrantRequest.encode({ TTL: 3600 }).finish()),
  );
}

/** Opens `n` watchers over 100 streams and resolves once every one is created; returns the close. */
async function openWatchers(port: number, n: number): Promise<{ seconds: number; close: () => void }> {
  const conns = sessions(port, 4);
  const streamCount = Math.min(100, n);
  const t0 = performance.now();
  const streams: http2.ClientHttp2Stream[] = [];
  await Promise.all(
    Array.from({ length: streamCount }, (_, k) => {
      const mine = Math.floor(n / streamCount) + (k < n % streamCount ? 1 : 0);
      const st = conns[k % conns.length]!.request({
        ':method': 'POST',
        ':path': '/etcdserverpb.Watch/Watch',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      streams.push(st);
      st.on('error', () => {});
      return new Promise<void>((resolve, reject) => {
        const reader = new FrameReader();
        let created = 0;
        st.on('data', (d: Buffer) => {
          for (const m of reader.push(d)) if (etcdserverpb.WatchResponse.decode(m).created) created++;
          if (created === mine) resolve();
        });
        st.on('close', () => (created < mine ? reject(new Error('watch stream closed early')) : resolve()));
        for (let j = 0; j < mine; j++) {
          const key = Buffer.from(`watched-${k}-${j}`);
          st.write(frameMessage(etcdserverpb.WatchRequest.encode({ createRequest: { key } }).finish()));
        }
      });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    close: () => {
      for (const st of streams) st.close();
      for (const s of conns) s.close();
    },
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

async function measure(kind: Kind, o: ScaleOptions, dir: string): Promise<ScaleResult> {
  // Keys in one member, watchers and leases in another, so neither figure carries the other's load.
  const a = await startCluster(kind, 1, path.join(dir, 'keys'));
  let keys: ScaleResult['keys'];
  let idleRssMiB: number;
  try {
    idleRssMiB = rssMiB(a.children[0]!.pid!);
    const seconds = await loadKeys(a.leaderPort, o.keys);
    keys = { seconds: round(seconds), rssMiB: rssMiB(a.children[0]!.pid!), diskMiB: diskMiB(dataDirOf(a)) };
  } finally {
    await stopCluster(a);
  }
  const b = await startCluster(kind, 1, path.join(dir, 'leases'));
  try {
    const pid = b.children[0]!.pid!;
    const baseRssMiB = rssMiB(pid);
    const w = await openWatchers(b.leaderPort, o.watchers);
    const watchers = { seconds: round(w.seconds), rssMiB: rssMiB(pid), baseRssMiB };
    w.close();
    const seconds = await grantLeases(b.leaderPort, o.leases);
    const leases = { seconds: round(seconds), rssMiB: rssMiB(pid), diskMiB: diskMiB(dataDirOf(b)) };
    return { kind, idleRssMiB, keys, watchers, leases };
  } finally {
    await stopCluster(b);
  }
}

export async function scale(o: ScaleOptions): Promise<ScaleResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-scale-'));
  fs.mkdirSync(path.join(dir, 'keys'));
  fs.mkdirSync(path.join(dir, 'leases'));
  o.out(
    `${os.cpus().length} cpus, load average ${os.loadavg()[0]!.toFixed(1)}; ${o.keys} keys x 256 B, ` +
      `${o.watchers} watchers, ${o.leases} leases; RSS and disk in MiB`,
  );
  o.out(
    'server  idle rss | keys: load s    rss   disk | watchers: open s  rss (before) | leases: grant s    rss   disk',
  );
  const results: ScaleResult[] = [];
  try {
    for (const kind of o.servers) {
      const r = await measure(kind, o, dir);
      results.push(r);
      o.out(
        `${kind.padEnd(6)} ${String(r.idleRssMiB).padStart(9)} | ${String(r.keys.seconds).padStart(12)} ${String(r.keys.rssMiB).padStart(6)} ${String(r.keys.diskMiB).padStart(6)} | ` +
          `${String(r.watchers.seconds).padStart(16)} ${String(r.watchers.rssMiB).padStart(4)} (${r.watchers.baseRssMiB}) | ` +
          `${String(r.leases.seconds).padStart(14)} ${String(r.leases.rssMiB).padStart(6)} ${String(r.leases.diskMiB).padStart(6)}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export function parseScaleArgs(argv: string[]): ScaleOptions {
  const o: ScaleOptions = {
    keys: 1_000_000,
    watchers: 10_000,
    leases: 100_000,
    servers: ['etcd', 'ours'],
    out: (l) => console.log(l),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--short') Object.assign(o, { keys: 2000, watchers: 200, leases: 2000 });
    else if (a === '--keys') o.keys = Math.min(5_000_000, Number(argv[++i]));
    else if (a === '--watchers') o.watchers = Math.min(100_000, Number(argv[++i]));
    else if (a === '--leases') o.leases = Math.min(1_000_000, Number(argv[++i]));
    else if (a === '--servers') o.servers = argv[++i]!.split(',') as Kind[];
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (require.main === module) {
  scale(parseScaleArgs(process.argv.slice(2))).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

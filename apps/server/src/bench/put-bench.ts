// Unary Put throughput of front-end designs, side by side with Debian's etcd, under one load generator
// in its own process (h2load when installed, else dist/bench/loadgen.js).
//   node dist/bench/put-bench.js [modes...]   modes: grpcjs h2 h2-cluster h2-core member etcd  (default: all)
//   env: BENCH_SECONDS (10), BENCH_CONNS (8), BENCH_STREAMS (32) -> 256 concurrent calls, BENCH_WORKERS (2),
//        BENCH_GEN=h2load|node
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../test-ports';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNS = Number(process.env.BENCH_CONNS ?? 8);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 32);

/** A framed PutRequest{key: "bench-key-0000", value: 64 bytes}. */
function putBody(): Buffer {
  const key = Buffer.from('bench-key-0000');
  const value = Buffer.alloc(64, 'v');
  const msg = Buffer.concat([Buffer.from([0x0a, key.length]), key, Buffer.from([0x12, value.length]), value]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function hasH2load(): boolean {
  if (process.env.BENCH_GEN === 'node') return false;
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

function waitLine(child: ChildProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}`)), ms);
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = buf.match(re);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

async function startOurs(mode: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'put-servers.js'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const m = await waitLine(child, /LISTENING (\d+)/, 30000);
  return { port: Number(m[1]), child };
}

async function startEtcd(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const peer = await freePort();
  const child = spawn(
    '/usr/bin/etcd',
    [
      '--data-dir',
      path.join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${port}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${port}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peer}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if ((await r.text()).includes('true')) return { port, child };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('etcd did not become healthy');
}

function runLoad(
  port: number,
  bodyFile: string,
  h2load: boolean,
): { rps: number; ok: number; failed: number } {
  const url = `http://127.0.0.1:${port}/etcdserverpb.KV/Put`;
  if (h2load) {
    const out = execFileSync(
      'h2load',
      [
        '-D',
        String(SECONDS),
        '-c',
        String(CONNS),
        '-m',
        String(STREAMS),
        '-d',
        bodyFile,
        '-H',
        'content-type: application/grpc',
        '-H',
        'te: trailers',
        url,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const rps = Number(out.match(/finished in [\d.]+s, ([\d.]+) req\/s/)?.[1] ?? 0);
    const m = out.match(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/);
    return { rps: Math.round(rps), ok: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? 0) };
  }
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'loadgen.js'), url, bodyFile, String(CONNS), String(STREAMS), String(SECONDS)],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** CPU seconds (user + system) used so far by `pid` and its direct children (cluster workers). */
function treeCpuSeconds(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  const pids = [pid];
  try {
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
    for (const k of kids.split('\n')) if (k.trim()) pids.push(Number(k));
  } catch {}
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / ticks;
    } catch {}
  }
  return total;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

async function main(): Promise<void> {
  const modes = process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['grpcjs', 'h2', 'h2-cluster', 'h2-core', 'member', 'etcd'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-put-bench-'));
  const bodyFile = path.join(dir, 'put.bin');
  fs.writeFileSync(bodyFile, putBody());
  const h2load = hasH2load();
  console.log('req/s depends on what else runs on the machine; server CPU per request does much less.');
  console.log(
    `unary Put, ${CONNS} connections x ${STREAMS} streams = ${CONNS * STREAMS} concurrent, ${SECONDS}s, ` +
      `generator: ${h2load ? 'h2load' : 'node loadgen'}, ${os.cpus().length} cpus`,
  );
  try {
    for (const mode of modes) {
      const srv = mode === 'etcd' ? await startEtcd(dir) : await startOurs(mode);
      try {
        const cpu0 = treeCpuSeconds(srv.child.pid!);
        const r = runLoad(srv.port, bodyFile, h2load);
        const cpu = treeCpuSeconds(srv.child.pid!) - cpu0;
        const perReq = r.ok > 0 ? (cpu * 1e6) / r.ok : 0;
        console.log(
          `${mode.padEnd(12)} ${String(r.rps).padStart(8)} req/s   server CPU ${perReq.toFixed(1).padStart(6)} us/req ` +
            `(${cpu.toFixed(1)} s for ${r.ok} ok, ${r.failed} failed)`,
        );
      } finally {
        await stop(srv.child);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

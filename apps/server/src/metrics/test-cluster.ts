import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../test-ports.js';
import { ETCD_BIN, memberArgs } from '../test-process.js';
import { type Family, parseExposition } from './exposition.js';

// Test support for the metrics tests: a 3-member cluster of Debian's etcd or of ours (real processes on
// 127.0.0.1, ended by PID, with --metrics extensive), one small workload through Debian's etcdctl, and scrapes of GET /metrics.

export const DEBIAN_ETCD = '/usr/bin/etcd';
export const DEBIAN_ETCDCTL = '/usr/bin/etcdctl';
const run = promisify(execFile);

export interface Cluster {
  clientPorts: number[];
  children: ChildProcess[];
  stop(): void;
}

export async function startCluster(kind: 'etcd' | 'ours', dir: string): Promise<Cluster> {
  const ports = await freePorts(6);
  const names = ['m1', 'm2', 'm3'];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const children = names.map((n, i) => {
    // extensive: the gRPC handling-time histograms too (etcd's alert rules use them)
    const args = [...memberArgs(n, ports[2 * i]!, ports[2 * i + 1]!, initial), '--metrics', 'extensive'];
    const [cmd, argv] = kind === 'etcd' ? [DEBIAN_ETCD, args] : [process.execPath, [ETCD_BIN, ...args]];
    const child = spawn(cmd, argv, { cwd: dir, stdio: 'ignore' });
    child.on('error', () => {});
    return child;
  });
  const cluster: Cluster = {
    clientPorts: [0, 1, 2].map((i) => ports[2 * i]!),
    children,
    stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
  try {
    for (const p of cluster.clientPorts) await waitServing(p);
  } catch (err) {
    cluster.stop();
    throw err;
  }
  return cluster;
}

export async function ctl(port: number, args: string[], input?: string): Promise<string> {
  const p = run(DEBIAN_ETCDCTL, [`--endpoints=127.0.0.1:${port}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 20_000,
  });
  if (input !== undefined) {
    p.child.stdin!.write(input);
    p.child.stdin!.end();
  }
  return (await p).stdout;
}

async function waitServing(port: number): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      await ctl(port, ['put', 'probe', 'x', '--command-timeout=2s']);
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * The same calls against either server: puts, a read, a delete, a lease granted, attached, renewed and
 * revoked, a watch that sees one event, a txn, a compaction at the watched put, HashKV, a client snapshot
 * and /health. Returns the revision it compacted at.
 */
export async function workload(port: number, dir: string): Promise<{ compacted: number }> {
  await ctl(port, ['put', 'a', '1']);
  await ctl(port, ['put', 'b', '2']);
  await ctl(port, ['get', 'a']);
  await ctl(port, ['del', 'b']);
  const lease = /lease ([0-9a-f]+) granted/.exec(await ctl(port, ['lease', 'grant', '60']))![1]!;
  await ctl(port, ['put', 'c', '3', `--lease=${lease}`]);
  await ctl(port, ['lease', 'keep-alive', '--once', lease]);
  await ctl(port, ['lease', 'revoke', lease]);
  const watch = spawn(DEBIAN_ETCDCTL, [`--endpoints=127.0.0.1:${port}`, 'watch', 'a'], { stdio: 'pipe' });
  const seen = new Promise<void>((resolve) => watch.stdout.on('data', () => resolve()));
  await new Promise((r) => setTimeout(r, 300));
  const put = JSON.parse(await ctl(port, ['put', 'a', '5', '-w', 'json'])) as {
    header: { revision: number };
  };
  await Promise.race([seen, new Promise((r) => setTimeout(r, 5000))]);
  watch.kill('SIGKILL');
  await ctl(port, ['txn'], '\nput x 1\n\n\n');
  const compacted = Number(put.header.revision);
  await ctl(port, ['compact', String(compacted)]);
  await ctl(port, ['endpoint', 'hashkv']);
  await ctl(port, ['snapshot', 'save', join(dir, `snap-${port}.db`)]);
  await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.text());
  return { compacted };
}

export async function scrape(port: number): Promise<Map<string, Family>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseExposition(await res.text());
}

/** The index of the member that says it leads (by its etcd_server_is_leader gauge). */
export async function leaderIndex(c: Cluster): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    for (const [i, p] of c.clientPorts.entries()) {
      const f = (await scrape(p)).get('etcd_server_is_leader');
      if (f?.samples[0]?.value === 1) return i;
    }
    if (Date.now() > end) throw new Error('no member says it leads');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Scrapes until `ready` holds (bounded), returning the last scrape. */
export async function scrapeUntil(
  port: number,
  ready: (m: Map<string, Family>) => boolean,
  timeoutMs = 15_000,
): Promise<Map<string, Family>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await scrape(port);
    if (ready(m) || Date.now() > end) return m;
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Test harness: a real etcd (Debian's 3.4 by default, or our own server, apps/server's bin/etcd) on
// free 127.0.0.1 ports with a temp data dir, killed by PID. KV_TEST_ETCD_BIN picks another binary with
// etcd's flags for the default server.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function health(url: string): Promise<boolean> {
  return new Promise((res) => {
    const get = url.startsWith('https:') ? httpsRequest : request;
    const req = get(`${url}/health`, { timeout: 500, rejectUnauthorized: false }, (r) => {
      let body = '';
      r.on('data', (c) => (body += c));
      r.on('end', () => res(r.statusCode === 200 && body.includes('true')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(false));
    req.end();
  });
}

/** Which server a test runs against: Debian's etcd 3.4 or ours (@kv/server). */
export type ServerKind = 'etcd' | 'ours';

/** our server's command (a node script; run with this node so no PATH lookup is involved) */
export function ourServerCommand(): string[] {
  return [process.execPath, join(dirname(require.resolve('@kv/server/package.json')), 'bin', 'etcd')];
}

export class TestEtcd {
  private proc?: ChildProcess;
  readonly log: string[] = [];

  private constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    private readonly root: string,
  ) {}

  /** host:port of the client URL */
  get endpoint(): string {
    return this.clientUrl.replace(/^https?:\/\//, '');
  }

  /** extraArgs go to etcd; with tls, clients are served over https with that certificate */
  static async start(
    extraArgs: string[] = [],
    tls?: { cert: string; key: string },
    server: ServerKind = 'etcd',
  ): Promise<TestEtcd> {
    // a free port can be taken by someone else between our probe and the server's bind: try anew
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestEtcd.startOnce(extraArgs, tls, server);
      } catch (e) {
        if (attempt >= 3 || !/address already in use|EADDRINUSE/.test((e as Error).message)) throw e;
      }
    }
  }

  private static async startOnce(
    extraArgs: string[],
    tls: { cert: string; key: string } | undefined,
    server: ServerKind,
  ): Promise<TestEtcd> {
    const root = mkdtempSync(join(tmpdir(), 'kv-etcdctl-test-'));
    const [cp, pp] = [await freePort(), await freePort()];
    const scheme = tls ? 'https' : 'http';
    if (tls) extraArgs = [...extraArgs, `--cert-file=${tls.cert}`, `--key-file=${tls.key}`];
    const e = new TestEtcd(
      'default',
      `${scheme}://127.0.0.1:${cp}`,
      `http://127.0.0.1:${pp}`,
      join(root, 'data'),
      root,
    );
    const [bin, ...pre] =
      server === 'ours' ? ourServerCommand() : [process.env.KV_TEST_ETCD_BIN ?? '/usr/bin/etcd'];
    const args = [
      ...pre,
      `--name=${e.name}`,
      `--data-dir=${e.dataDir}`,
      `--listen-client-urls=${e.clientUrl}`,
      `--advertise-client-urls=${e.clientUrl}`,
      `--listen-peer-urls=${e.peerUrl}`,
      `--initial-advertise-peer-urls=${e.peerUrl}`,
      `--initial-cluster=${e.name}=${e.peerUrl}`,
      ...extraArgs,
    ];
    e.proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    e.proc.stdout?.on('data', (c) => e.log.push(String(c)));
    e.proc.stderr?.on('data', (c) => e.log.push(String(c)));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await health(e.clientUrl)) return e;
      if (e.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await e.stop();
    throw new Error(`etcd did not become healthy:\n${e.log.join('').slice(-2000)}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.pid) {
      const exited = new Promise((r) => p.once('exit', r));
      process.kill(p.pid, 'SIGKILL');
      await exited;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

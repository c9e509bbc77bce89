// Test harness: starts real etcd members on free 127.0.0.1 ports with temp data dirs, and kills them by
// PID. KV_TEST_SERVER=etcd (default: /usr/bin/etcd) or ours (apps/server/bin/etcd, same flags);
// KV_TEST_ETCD_BIN overrides the binary path.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Which server the suites run against: Debian's etcd (default) or ours. */
export function serverKind(): 'etcd' | 'ours' {
  return process.env.KV_TEST_SERVER === 'ours' ? 'ours' : 'etcd';
}

/**
 * Features our server does not have yet: a suite that needs one is skipped against ours with this reason
 * (node:test's `skip` option), and still runs against etcd.
 */
const NOT_IN_OURS: Record<string, string> = {};

export function skipAgainstOurs(feature: string): string | false {
  return serverKind() === 'ours' ? (NOT_IN_OURS[feature] ?? false) : false;
}

export function serverBinary(): string {
  if (process.env.KV_TEST_ETCD_BIN) return process.env.KV_TEST_ETCD_BIN;
  const which = process.env.KV_TEST_SERVER ?? 'etcd';
  if (which === 'ours') return resolve(__dirname, '../../../../apps/server/bin/etcd');
  if (which !== 'etcd') throw new Error(`KV_TEST_SERVER must be etcd or ours, not ${which}`);
  return '/usr/bin/etcd';
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
  /** Output of the process, for diagnosing a failed test. */
  log: string[];
}

export interface ClusterOptions {
  size?: number;
  /** Extra flags for every member. */
  args?: string[];
  /** Serve clients over TLS with these PEM files (client certificates required when `ca` is set). */
  tls?: { cert: string; key: string; ca?: string };
}

function get(
  url: string,
  timeoutMs: number,
  tls?: ClusterOptions['tls'],
): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const opts = tls
      ? {
          timeout: timeoutMs,
          ca: tls.ca && readFileSync(tls.ca),
          cert: readFileSync(tls.cert),
          key: readFileSync(tls.key),
        }
      : { timeout: timeoutMs };
    const req = (url.startsWith('https:') ? httpsRequest : request)(url, opts, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

/** A running test cluster. */
export class TestCluster {
  readonly members: Member[] = [];
  private readonly root: string;
  private readonly binary = serverBinary();

  private constructor(private readonly options: ClusterOptions) {
    this.root = mkdtempSync(join(tmpdir(), 'kv-client-test-'));
  }

  /** Starts a cluster of `size` members (default 1) and waits until it has a leader. */
  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(options);
    const size = options.size ?? 1;
    for (let i = 0; i < size; i++) {
      const [cp, pp] = [await freePort(), await freePort()];
      c.members.push({
        name: `m${i}`,
        clientUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${cp}`,
        peerUrl: `http://127.0.0.1:${pp}`,
        dataDir: join(c.root, `m${i}`),
        log: [],
      });
    }
    try {
      for (const m of c.members) c.spawn(m, 'new');
      await c.waitHealthy(c.members, 20_000);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  private spawn(m: Member, state: 'new' | 'existing'): void {
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--advertise-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      m.peerUrl,
      '--initial-advertise-peer-urls',
      m.peerUrl,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      state,
      '--initial-cluster-token',
      `kv-client-test-${process.pid}`,
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '500',
      '--logger',
      'zap',
      '--log-level',
      'warn',
      ...(this.options.tls
        ? [
            '--cert-file',
            this.options.tls.cert,
            '--key-file',
            this.options.tls.key,
            ...(this.options.tls.ca ? ['--trusted-ca-file', this.options.tls.ca, '--client-cert-auth'] : []),
          ]
        : []),
      ...(this.options.args ?? []),
    ];
    const p = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      m.log.push(d.toString());
      if (m.log.length > 200) m.log.shift();
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    p.on('error', (e) => m.log.push(String(e)));
    m.process = p;
  }

  /** Waits until every given member answers /health with a leader. */
  async waitHealthy(
    members: Member[] = this.members.filter((m) => m.process),
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const m of members) {
      for (;;) {
        try {
          const r = await get(`${m.clientUrl}/health`, 1000, this.options.tls);
          if (r.status === 200 && r.body.includes('true')) break;
        } catch {}
        if (m.process?.exitCode !== null && m.process?.exitCode !== undefined) {
          throw new Error(`${m.name} exited: ${m.log.join('').slice(-2000)}`);
        }
        if (Date.now() > deadline) throw new Error(`${m.name} not healthy: ${m.log.join('').slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Kills member `i` with SIGKILL and waits for the process to exit. */
  async kill(i: number): Promise<void> {
    const p = this.members[i].process;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    p.kill('SIGCONT');
    await exited;
    this.members[i].process = undefined;
  }

  /** Freezes member `i` (SIGSTOP): its sockets stay open but nothing answers. */
  pause(i: number): void {
    this.members[i].process?.kill('SIGSTOP');
  }

  /** Thaws a paused member (SIGCONT). */
  resume(i: number): void {
    this.members[i].process?.kill('SIGCONT');
  }

  /** Restarts a killed member on its data dir. */
  async restart(i: number): Promise<void> {
    const m = this.members[i];
    if (m.process) return;
    this.spawn(m, 'existing');
    await this.waitHealthy([m]);
  }

  /** Index of the member a client URL belongs to. */
  indexOf(endpoint: string): number {
    return this.members.findIndex((m) => m.clientUrl === endpoint);
  }

  /** Kills every member and removes the data dirs. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Writes a throwaway CA, a server certificate for 127.0.0.1 and a client certificate into `dir`. */
export function makeCertificates(dir: string): {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
} {
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=kv-test-ca',
  );
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'root'],
  ]) {
    writeFileSync(f(`${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
    ossl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    ossl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '1',
      '-extfile',
      f(`${name}.ext`),
    );
  }
  return {
    ca: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHealthy } from './http';
import { waitFor } from './poll';
import { type ServerKind, serverCommand, serverKind } from './server-binary';

/** Every server process this test process started, so a crash of the test itself still kills them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    try {
      if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
});

export interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  /** name=peerURL,... shared by every member of the cluster. */
  initialCluster: string;
  token: string;
  /** Flags beyond the cluster wiring, e.g. ['--snapshot-count', '100']. */
  extraFlags: string[];
  dataDir: string;
  /** Which server to run; default: the suite's (KV_E2E_SERVER). */
  kind?: ServerKind;
  /** The address it listens on (default 127.0.0.1; a netns member's own address). */
  host?: string;
  /** A command prefix, e.g. ['ip', 'netns', 'exec', ns]; it must exec the server so the PID is its. */
  wrap?: string[];
}

/** One server process (ours or Debian's etcd) with its data dir; restartable with the same dir. */
export class Member {
  readonly kind: ServerKind;
  proc: ChildProcess | undefined;
  exitCode: number | null | undefined;
  /** The signal that ended the last run, if one did. */
  exitSignal: NodeJS.Signals | null = null;
  private logTail = '';
  private logFile: WriteStream | undefined;
  starts = 0;

  constructor(readonly spec: MemberSpec) {
    this.kind = spec.kind ?? serverKind();
  }

  get host(): string {
    return this.spec.host ?? '127.0.0.1';
  }
  get clientUrl(): string {
    return `http://${this.host}:${this.spec.clientPort}`;
  }
  get endpoint(): string {
    return `${this.host}:${this.spec.clientPort}`;
  }
  get peerUrl(): string {
    return `http://${this.host}:${this.spec.peerPort}`;
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get running(): boolean {
    return this.proc !== undefined && this.exitCode === undefined;
  }
  /** The last few KB the process wrote, for failure messages. */
  get log(): string {
    return this.logTail;
  }

  args(): string[] {
    const s = this.spec;
    return [
      '--name',
      s.name,
      '--data-dir',
      s.dataDir,
      '--listen-client-urls',
      this.clientUrl,
      '--advertise-client-urls',
      this.clientUrl,
      '--listen-peer-urls',
      this.peerUrl,
      '--initial-advertise-peer-urls',
      this.peerUrl,
      '--initial-cluster',
      s.initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      s.token,
      ...s.extraFlags,
    ];
  }

  /** Starts the process (same data dir on every start); does not wait for health. */
  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.pid})`);
    const [cmd, ...lead] = [...(this.spec.wrap ?? []), ...serverCommand(this.kind)];
    this.starts++;
    this.exitCode = undefined;
    this.logFile ??= createWriteStream(join(this.spec.dataDir, '..', `${this.spec.name}.log`), {
      flags: 'a',
    });
    this.logFile.write(
      `\n==== ${new Date().toISOString()} start #${this.starts}: ${cmd} ${[...lead, ...this.args()].join(' ')}\n`,
    );
    const p = spawn(cmd!, [...lead, ...this.args()], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    this.proc = p;
    live.add(p);
    const onData = (b: Buffer) => {
      this.logFile?.write(b);
      this.logTail = (this.logTail + b.toString('utf8')).slice(-6000);
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code, signal) => {
      live.delete(p);
      if (this.proc === p) {
        this.exitCode = code ?? (signal ? -1 : null);
        this.exitSignal = signal;
      }
      this.logFile?.write(`\n==== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
    });
  }

  /** Waits until GET /health says the member sees a leader; fails early if the process died. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.spec.name} (${this.clientUrl}) to be healthy`,
      async () => {
        if (!this.running) {
          throw new Error(
            `${this.spec.name} exited with ${this.exitCode}; log tail:\n${this.logTail.slice(-2000)}`,
          );
        }
        return (await isHealthy(this.clientUrl)) ? true : undefined;
      },
      timeoutMs,
      100,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${this.spec.name} log tail ---\n${this.logTail.slice(-2000)}`);
    });
  }

  /** kill -9 by PID, then waits for the exit to be reaped. */
  async kill9(): Promise<void> {
    await this.signalAndWait('SIGKILL', 10_000);
  }

  /** SIGTERM, escalating to SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    try {
      await this.signalAndWait('SIGTERM', graceMs);
    } catch {
      await this.signalAndWait('SIGKILL', 10_000);
    }
  }

  private async signalAndWait(sig: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const p = this.proc;
    if (!p || !this.running || p.pid === undefined) return;
    const exited = new Promise<void>((res) => p.once('exit', () => res()));
    try {
      process.kill(p.pid, sig);
    } catch {}
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([exited.then(() => 'exited' as const), t]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new Error(`${this.spec.name} (pid ${p.pid}) did not exit within ${timeoutMs} ms of ${sig}`);
    }
  }

  /** SIGSTOP: the process freezes with its sockets open, like a long GC pause or a hung VM. */
  pause(): void {
    if (this.running && this.pid !== undefined) process.kill(this.pid, 'SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.running && this.pid !== undefined) process.kill(this.pid, 'SIGCONT');
  }

  async restart(): Promise<void> {
    if (this.running) await this.kill9();
    this.start();
  }

  closeLog(): void {
    this.logFile?.end();
    this.logFile = undefined;
  }
}

/** A fresh temp directory for one test's members, removed by the caller's after hook. */
export function makeTempRoot(prefix = 'kv-e2e-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    remove: () => {
      if (!process.env.KV_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

// Test support: real `etcd` processes (bin/etcd) on 127.0.0.1, killed by PID.
export const ETCD_BIN = join(__dirname, '..', 'bin', 'etcd');

export interface MemberProcess {
  child: ChildProcess;
  log: string[];
  clientPort: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string>;
  /** Waits for a log line containing `text`. */
  waitLog(text: string, timeoutMs?: number): Promise<void>;
}

/** Debian's etcd 3.4, the reference our tests compare with. */
export const REFERENCE_ETCD = '/usr/bin/etcd';

/** Starts our etcd, or with `command` another binary (Debian's /usr/bin/etcd) logged the same way. */
export function spawnEtcd(
  args: string[],
  clientPort: number,
  cwd: string,
  command: string[] = [process.execPath, ETCD_BIN],
): MemberProcess {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    log.push(...lines);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    log,
    clientPort,
    exited,
    async waitLog(text, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!log.some((l) => l.includes(text))) {
        if (Date.now() > end) throw new Error(`no log line with ${JSON.stringify(text)}:\n${log.join('\n')}`);
        if (child.exitCode !== null) throw new Error(`etcd exited ${child.exitCode}:\n${log.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

export function memberArgs(
  name: string,
  clientPort: number,
  peerPort: number,
  initialCluster: string,
  scheme: { peer?: 'http' | 'https'; client?: 'http' | 'https' } = {},
): string[] {
  const peer = `${scheme.peer ?? 'http'}://127.0.0.1:${peerPort}`;
  const client = `${scheme.client ?? 'http'}://127.0.0.1:${clientPort}`;
  return [
    '--name',
    name,
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    initialCluster,
  ];
}

/** The same member, run by the reference etcd 3.4. */
export function spawnReferenceEtcd(args: string[], clientPort: number, cwd: string): MemberProcess {
  return spawnEtcd(args, clientPort, cwd, [REFERENCE_ETCD]);
}

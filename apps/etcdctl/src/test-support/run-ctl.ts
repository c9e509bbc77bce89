// Runs our etcdctl and etcd's own (/usr/bin/etcdctl 3.4) with the same arguments, for golden tests.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const OURS = resolve(__dirname, '../../bin/etcdctl');
export const REFERENCE = process.env.KV_REFERENCE_ETCDCTL ?? '/usr/bin/etcdctl';

export interface Result {
  stdout: string;
  /** stdout's bytes (-w protobuf prints binary) */
  raw: Buffer;
  stderr: string;
  code: number | null;
  /** the "Error: ..." lines of stderr, the part of stderr etcdctl's users script against */
  errors: string[];
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  interruptAfterMs?: number;
  /** SIGINT once stdout has been quiet for this long after its first output (interruptAfterMs is the cap) */
  interruptWhenSettledMs?: number;
  cwd?: string;
  /** write the input but leave stdin open (until the process ends) */
  keepStdinOpen?: boolean;
}

export function run(bin: string, args: string[], o: RunOptions = {}): Promise<Result> {
  return new Promise((res, rej) => {
    const p = spawn(bin, args, {
      env: { ...process.env, ETCDCTL_API: '3', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: o.cwd,
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    let settle: NodeJS.Timeout | undefined;
    p.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      if (o.interruptWhenSettledMs !== undefined) {
        if (settle) clearTimeout(settle);
        settle = setTimeout(() => p.kill('SIGINT'), o.interruptWhenSettledMs);
      }
    });
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 20_000);
    const intr =
      o.interruptAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGINT'), o.interruptAfterMs);
    p.on('error', rej);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (intr) clearTimeout(intr);
      if (settle) clearTimeout(settle);
      if (code === null && signal) code = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15);
      const raw = Buffer.concat(chunks);
      res({
        stdout: raw.toString(),
        raw,
        stderr,
        code,
        errors: stderr.split('\n').filter((l) => l.startsWith('Error:')),
      });
    });
    p.stdin.on('error', () => {}); // a command that never reads stdin may exit first
    if (o.keepStdinOpen) p.stdin.write(o.input ?? '');
    else p.stdin.end(o.input ?? '');
  });
}

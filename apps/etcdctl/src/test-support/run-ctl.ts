// Runs our etcdctl and etcd's own (/usr/bin/etcdctl 3.4) with the same arguments, for golden tests.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const OURS = resolve(__dirname, '../../bin/etcdctl');
export const REFERENCE = process.env.KV_REFERENCE_ETCDCTL ?? '/usr/bin/etcdctl';

export interface Result {
  stdout: string;
  stderr: string;
  code: number | null;
  /** the "Error: ..." lines of stderr, the part of stderr etcdctl's users script against */
  errors: string[];
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

export function run(bin: string, args: string[], o: RunOptions = {}): Promise<Result> {
  return new Promise((res, rej) => {
    const p = spawn(bin, args, {
      env: { ...process.env, ETCDCTL_API: '3', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 20_000);
    p.on('error', rej);
    p.on('close', (code) => {
      clearTimeout(timer);
      res({ stdout, stderr, code, errors: stderr.split('\n').filter((l) => l.startsWith('Error:')) });
    });
    p.stdin.end(o.input ?? '');
  });
}

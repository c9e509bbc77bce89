import { execFile } from 'node:child_process';
import { ETCDCTL } from './server-binary';

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Debian's stock etcdctl (ETCDCTL_API=3) against endpoints; never throws on a non-zero exit. */
export function etcdctl(
  endpoints: string | string[],
  args: string[],
  timeoutMs = 20_000,
): Promise<CtlResult> {
  const eps = Array.isArray(endpoints) ? endpoints.join(',') : endpoints;
  return new Promise((resolve) => {
    execFile(
      ETCDCTL,
      [`--endpoints=${eps}`, '--dial-timeout=3s', '--command-timeout=8s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** etcdctl that must succeed; the error names the command and what it printed. */
export async function etcdctlOk(
  endpoints: string | string[],
  args: string[],
  timeoutMs?: number,
): Promise<string> {
  const r = await etcdctl(endpoints, args, timeoutMs);
  if (r.code !== 0) {
    throw new Error(
      `etcdctl ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`,
    );
  }
  return r.stdout;
}

export interface EndpointStatus {
  endpoint: string;
  memberId: string;
  leader: string;
  revision: number;
  raftIndex: number;
  raftTerm: number;
  dbSize: number;
}

/** `etcdctl endpoint status -w json` for each endpoint separately (a dead one is simply absent). */
export async function endpointStatus(endpoint: string): Promise<EndpointStatus | undefined> {
  const r = await etcdctl(endpoint, ['endpoint', 'status', '-w', 'json'], 10_000);
  if (r.code !== 0) return undefined;
  // 64-bit ids lose precision as JS numbers: quote them before parsing.
  const text = r.stdout.replace(/"(member_id|leader|cluster_id)":(\d+)/g, '"$1":"$2"');
  const arr = JSON.parse(text) as Array<{ Endpoint: string; Status: any }>;
  const s = arr[0]?.Status;
  if (!s) return undefined;
  return {
    endpoint: arr[0]!.Endpoint,
    memberId: String(s.header?.member_id ?? ''),
    leader: String(s.leader ?? '0'),
    revision: Number(s.header?.revision ?? 0),
    raftIndex: Number(s.raftIndex ?? 0),
    raftTerm: Number(s.raftTerm ?? 0),
    dbSize: Number(s.dbSize ?? 0),
  };
}

/**
 * Every key/value under prefix as one member sees it locally (--consistency=s): what that member has
 * applied, without asking the leader.
 */
export async function readLocal(
  endpoint: string,
  prefix: string,
): Promise<{ revision: number; kvs: Map<string, string> }> {
  const out = await etcdctlOk(endpoint, ['get', prefix, '--prefix', '--consistency=s', '-w', 'json'], 60_000);
  const j = JSON.parse(out) as {
    header?: { revision?: number };
    kvs?: Array<{ key: string; value?: string }>;
  };
  const kvs = new Map<string, string>();
  for (const kv of j.kvs ?? []) {
    kvs.set(
      Buffer.from(kv.key, 'base64').toString('utf8'),
      Buffer.from(kv.value ?? '', 'base64').toString('utf8'),
    );
  }
  return { revision: Number(j.header?.revision ?? 0), kvs };
}

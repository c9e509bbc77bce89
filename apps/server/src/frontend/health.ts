// The member's health endpoints on the client port: etcd 3.4's GET /health, and the probes etcd added in
// 3.5.11, GET /livez and /readyz (each also per check, /livez/<check>, /readyz/<check>).
//
// Probe semantics, as etcd 3.5 answers them:
// - 200 "ok\n" when every check passes; with `?verbose` (any value) the body first lists "[+]<check> ok".
// - 503 with "[+]<check> ok" / "[-]<check> failed: <error>" lines and a blank line, whatever `verbose`.
// - `?exclude=<check>` (repeatable) skips checks on the root path only; unknown names are ignored.
// - Anything but GET (HEAD included, also on /health) is 405 "Method Not Allowed" with `Allow: GET`.
// etcd runs the checks in Go map order (random per request); we run them in registration order.
import type * as http from 'node:http';
import { etcdserverpb } from '@kv/api-proto';
import { countHealthCheck } from '../metrics/scrape-metrics';
import type { EtcdServerApi } from '../server-api';

type Check = (server: EtcdServerApi, timeoutMs: number) => Promise<void>;

const CORS = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};
const TEXT = { ...CORS, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

/** The range etcd's probes read with (as root): one key, keys only. */
function read(serializable: boolean): Check {
  return (server, timeoutMs) =>
    withTimeout(
      server.range(
        etcdserverpb.RangeRequest.fromObject({
          key: Buffer.from([0]),
          rangeEnd: Buffer.from([0]),
          keysOnly: true,
          limit: 1,
          serializable,
        }),
      ),
      timeoutMs,
    );
}

const noCorruptAlarm: Check = async (server) => {
  const alarms = await server.alarm(etcdserverpb.AlarmRequest.fromObject({ action: 0 }));
  if ((alarms.alarms ?? []).some((a) => a.alarm === etcdserverpb.AlarmType.CORRUPT)) {
    throw new Error('alarm activated: CORRUPT');
  }
};

const nonLearner: Check = async (server) => {
  const s = await server.status(etcdserverpb.StatusRequest.fromObject({}));
  if (s.isLearner === true) throw new Error('not supported for learner');
};

const PROBES: ReadonlyMap<string, ReadonlyMap<string, Check>> = new Map([
  ['/livez', new Map([['serializable_read', read(true)]])],
  [
    '/readyz',
    new Map<string, Check>([
      ['data_corruption', noCorruptAlarm],
      ['serializable_read', read(true)],
      ['linearizable_read', read(false)],
      ['non_learner', nonLearner],
    ]),
  ],
]);

/** Is `path` one of the health endpoints (so the gateway hands it here)? */
export function isHealthPath(path: string): boolean {
  if (path === '/health' || PROBES.has(path)) return true;
  const slash = path.indexOf('/', 1);
  return slash > 0 && PROBES.get(path.slice(0, slash))?.has(path.slice(slash + 1)) === true;
}

export async function serveHealth(
  server: EtcdServerApi,
  method: string,
  path: string,
  query: URLSearchParams,
  res: http.ServerResponse,
  timeoutMs: number,
): Promise<void> {
  if (method !== 'GET') {
    res.writeHead(405, { ...TEXT, Allow: 'GET' });
    res.end('Method Not Allowed\n');
    return;
  }
  if (path === '/health') return health(server, res);
  const slash = path.indexOf('/', 1);
  const root = slash < 0 ? path : path.slice(0, slash);
  const checks = PROBES.get(root)!;
  let names: string[];
  if (slash < 0) {
    const excluded = new Set(query.getAll('exclude'));
    names = [...checks.keys()].filter((n) => !excluded.has(n));
  } else names = [path.slice(slash + 1)];
  let failed = false;
  let report = '';
  for (const name of names) {
    try {
      await checks.get(name)!(server, timeoutMs);
      report += `[+]${name} ok\n`;
    } catch (e) {
      failed = true;
      report += `[-]${name} failed: ${(e as Error).message}\n`;
    }
  }
  if (failed) {
    // Go's http.Error: the text and a newline
    res.writeHead(503, TEXT);
    res.end(`${report}\n`);
    return;
  }
  res.writeHead(200, TEXT);
  res.end(query.has('verbose') ? `${report}ok\n` : 'ok\n');
}

/** etcd 3.4's /health: false with 503 when an alarm is raised, there is no leader, or a read fails. */
async function health(server: EtcdServerApi, res: http.ServerResponse): Promise<void> {
  let ok = true;
  try {
    const alarms = await server.alarm(etcdserverpb.AlarmRequest.fromObject({ action: 0 }));
    if ((alarms.alarms ?? []).length > 0) ok = false;
    if (ok && server.leader() === 0n) ok = false;
    if (ok)
      await withTimeout(
        server.range(etcdserverpb.RangeRequest.fromObject({ key: Buffer.from('health') })),
        1000,
      );
  } catch {
    ok = false;
  }
  countHealthCheck(ok);
  if (ok) {
    res.writeHead(200, { ...CORS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('{"health":"true"}');
  } else {
    // Go's http.Error
    res.writeHead(503, TEXT);
    res.end('{"health":"false"}\n');
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('etcdserver: request timed out')), ms);
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

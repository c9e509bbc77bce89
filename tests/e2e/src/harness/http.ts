import { request } from 'node:http';

export interface HttpReply {
  status: number;
  body: string;
}

/** One HTTP/1.1 request to 127.0.0.1 with a hard timeout; never keeps the socket alive. */
export function httpRequest(
  url: string,
  opts: {
    method?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: { connection: 'close', ...opts.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 3000, () => req.destroy(new Error(`HTTP ${url} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** True when GET /health answers 200 with {"health":"true"} (the member sees a leader). */
export async function isHealthy(clientUrl: string): Promise<boolean> {
  try {
    const r = await httpRequest(`${clientUrl}/health`, { timeoutMs: 2000 });
    if (r.status !== 200) return false;
    const j = JSON.parse(r.body) as { health?: unknown };
    return j.health === 'true' || j.health === true;
  } catch {
    return false;
  }
}

// A gRPC unary load generator on node:http2 for when h2load (nghttp2-client) is not installed:
// C connections x M concurrent streams, each stream re-issued as soon as its trailers arrive.
// node dist/bench/loadgen.js <url> <bodyFile> <connections> <streamsPerConnection> <seconds> [warmupSeconds=1]
// Prints one JSON line {requests, ok, failed, seconds, rps, p50Ms, p99Ms} (latency of the counted
// successful requests, issue to trailers).
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';

interface Stats {
  ok: number;
  failed: number;
  stop: boolean;
  /** Latencies (ns) of successful requests while counting; null during warm-up. */
  latencies: number[] | null;
}

function issue(session: http2.ClientHttp2Session, path: string, body: Buffer, st: Stats): void {
  if (st.stop || session.destroyed) return;
  const t0 = process.hrtime.bigint();
  const req = session.request(
    { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' },
    { endStream: false },
  );
  let status = '';
  req.on('trailers', (t) => {
    status = String(t['grpc-status']);
  });
  req.on('response', (h) => {
    if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
  });
  req.on('data', () => {});
  req.on('error', () => {});
  req.on('close', () => {
    if (status === '0') {
      st.ok++;
      st.latencies?.push(Number(process.hrtime.bigint() - t0));
    } else st.failed++;
    issue(session, path, body, st);
  });
  req.end(body);
}

async function main(): Promise<void> {
  const [url, bodyFile, c, m, secs, warm] = process.argv.slice(2);
  const u = new URL(url!);
  const body = fs.readFileSync(bodyFile!);
  const conns = Number(c ?? 8);
  const streams = Number(m ?? 32);
  const seconds = Number(secs ?? 10);
  const warmup = Number(warm ?? 1);
  const st: Stats = { ok: 0, failed: 0, stop: false, latencies: null };
  const sessions: http2.ClientHttp2Session[] = [];
  for (let i = 0; i < conns; i++) {
    // Nagle on the client side would hold small requests back for the server's delayed ACK.
    const s = http2.connect(`http://${u.host}`, {
      createConnection: () => net.connect({ host: u.hostname, port: Number(u.port), noDelay: true }),
    });
    s.on('error', () => {});
    sessions.push(s);
  }
  // Warm up, then count.
  for (const s of sessions) for (let j = 0; j < streams; j++) issue(s, u.pathname, body, st);
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const ok0 = st.ok;
  const failed0 = st.failed;
  st.latencies = [];
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  const ok = st.ok - ok0;
  const failed = st.failed - failed0;
  st.stop = true;
  for (const s of sessions) s.destroy();
  const lat = Float64Array.from(st.latencies).sort();
  const pct = (q: number) =>
    lat.length === 0 ? 0 : Math.round(lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]! / 1e4) / 100;
  process.stdout.write(
    `${JSON.stringify({ requests: ok + failed, ok, failed, seconds: dt, rps: Math.round(ok / dt), p50Ms: pct(0.5), p99Ms: pct(0.99) })}\n`,
  );
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

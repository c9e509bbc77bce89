// The client port end to end: a real member (core + front end) in this process, driven by Debian's
// stock etcdctl 3.4 (gRPC over h2c from Go), by grpc-js, and by HTTP/1.1 JSON on the same port.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Etcd, startEtcd } from '../embed.js';
import { silentLogger } from '../etcd-server/logger.js';
import { freePorts } from '../test-ports.js';

const ETCDCTL = '/usr/bin/etcdctl';
const hasEtcdctl = existsSync(ETCDCTL);

let etcd: Etcd;
let dir: string;
let endpoint = '';
let url = '';

function ctl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      ETCDCTL,
      [`--endpoints=${endpoint}`, '--dial-timeout=5s', '--command-timeout=10s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Spawns a long-running etcdctl and resolves once its stdout matches `re`. */
function ctlUntil(
  args: string[],
  re: RegExp,
): { child: ChildProcess; seen: Promise<string>; out: () => string } {
  const child = spawn(ETCDCTL, [`--endpoints=${endpoint}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const seen = new Promise<string>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`timeout waiting for ${re} in ${JSON.stringify(out)}`)),
      15_000,
    );
    child.stdout!.on('data', (d) => {
      out += d;
      if (re.test(out)) {
        clearTimeout(t);
        resolve(out);
      }
    });
  });
  return { child, seen, out: () => out };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('client front end on a real member', { skip: !hasEtcdctl && 'Debian etcdctl not installed' }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kv-front-end-'));
    const [client, peer] = await freePorts(2);
    endpoint = `127.0.0.1:${client}`;
    url = `http://${endpoint}`;
    etcd = await startEtcd(
      {
        name: 'fe',
        dataDir: join(dir, 'fe.etcd'),
        listenClientUrls: [url],
        advertiseClientUrls: [url],
        listenPeerUrls: [`http://127.0.0.1:${peer}`],
        initialAdvertisePeerUrls: [`http://127.0.0.1:${peer}`],
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
      } as any,
      { logger: silentLogger() },
    );
    await (etcd.server as any).ready();
  });

  after(async () => {
    await etcd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('etcdctl put / get / del print what etcd prints', async () => {
    assert.deepEqual(await ctl(['put', 'greeting', 'Hello, etcd']), { code: 0, stdout: 'OK\n', stderr: '' });
    assert.equal((await ctl(['get', 'greeting'])).stdout, 'greeting\nHello, etcd\n');
    assert.equal((await ctl(['del', 'greeting'])).stdout, '1\n');
    assert.equal((await ctl(['get', 'greeting'])).stdout, '');
    await ctl(['put', 'p/a', '1']);
    await ctl(['put', 'p/b', '2']);
    assert.equal((await ctl(['get', 'p/', '--prefix', '--keys-only'])).stdout, 'p/a\n\np/b\n\n');
    const json = JSON.parse((await ctl(['get', 'p/a', '-w', 'json'])).stdout);
    assert.equal(Buffer.from(json.kvs[0].value, 'base64').toString(), '1');
  });

  it('etcdctl watch sees the put of stock1 and not stock2', async () => {
    const w = ctlUntil(['watch', 'stock1'], /PUT\nstock1\n1000\n/);
    await new Promise((r) => setTimeout(r, 500));
    await ctl(['put', 'stock1', '1000']);
    await ctl(['put', 'stock2', '10']);
    const out = await w.seen;
    await new Promise((r) => setTimeout(r, 200));
    await kill(w.child);
    assert.equal(w.out(), 'PUT\nstock1\n1000\n');
    assert.equal(out.includes('stock2'), false);
  });

  it('etcdctl lease grant / put --lease / keep-alive --once / revoke', async () => {
    const grant = await ctl(['lease', 'grant', '300']);
    const m = /^lease ([0-9a-f]+) granted with TTL\(300s\)\n$/.exec(grant.stdout);
    assert.ok(m, grant.stdout + grant.stderr);
    const id = m![1]!;
    assert.equal((await ctl(['put', 'sample', 'value', `--lease=${id}`])).stdout, 'OK\n');
    assert.equal(
      (await ctl(['lease', 'keep-alive', '--once', id])).stdout,
      `lease ${id} keepalived with TTL(300)\n`,
    );
    const ttl = await ctl(['lease', 'timetolive', id, '--keys']);
    assert.match(
      ttl.stdout,
      new RegExp(
        `^lease ${id} granted with TTL\\(300s\\), remaining\\(\\d+s\\), attached keys\\(\\[sample\\]\\)\n$`,
      ),
    );
    assert.equal((await ctl(['lease', 'revoke', id])).stdout, `lease ${id} revoked\n`);
    assert.equal((await ctl(['get', 'sample'])).stdout, '');
    const missing = await ctl(['lease', 'revoke', id]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /etcdserver: requested lease not found/);
  });

  it('etcdctl lock: a second locker waits until the first exits', async () => {
    const first = ctlUntil(['lock', 'mutex1'], /^mutex1\/[0-9a-f]+\n/);
    await first.seen;
    const second = ctlUntil(['lock', 'mutex1'], /^mutex1\/[0-9a-f]+\n/);
    let secondGot = false;
    second.seen.then(
      () => {
        secondGot = true;
      },
      () => {},
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(secondGot, false, 'second locker must wait');
    await kill(first.child);
    await second.seen;
    await kill(second.child);
  });

  it('etcdctl gets etcd errors: oversized request, compacted revision', async () => {
    const big = await ctl(['put', 'big'], 'x'.repeat(1.6 * 1024 * 1024));
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /etcdserver: request is too large/);
    const rev = JSON.parse((await ctl(['put', 'c', '1', '-w', 'json'])).stdout).header.revision;
    await ctl(['put', 'c', '2']);
    assert.equal((await ctl(['compaction', String(rev + 1)])).code, 0);
    const old = await ctl(['get', 'c', `--rev=${rev}`]);
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /etcdserver: mvcc: required revision has been compacted/);
    assert.equal((await ctl(['get', 'c', '--print-value-only'])).stdout, '2\n');
  });

  it('etcdctl endpoint health, status and member list', async () => {
    assert.match(
      (await ctl(['endpoint', 'health'])).stderr + (await ctl(['endpoint', 'health'])).stdout,
      /is healthy/,
    );
    assert.match(
      (await ctl(['endpoint', 'status'])).stdout,
      new RegExp(`^${endpoint.replace(/\./g, '\\.')}, [0-9a-f]+, `),
    );
    assert.match((await ctl(['member', 'list'])).stdout, /, started, fe, http:\/\/127\.0\.0\.1:\d+, /);
  });

  it('etcdctl with URL endpoints (grpc-go sends the whole URL as :authority) and --cluster', async () => {
    const put = await ctl([`--endpoints=${url}`, 'put', 'url-key', 'v1']);
    assert.equal(put.stdout, 'OK\n', put.stderr);
    assert.equal((await ctl([`--endpoints=${url}/`, 'get', 'url-key', '--print-value-only'])).stdout, 'v1\n');
    const status = await ctl(['endpoint', 'status', '--cluster']);
    assert.match(status.stdout, new RegExp(`^${url.replace(/[./]/g, '\\$&')}, [0-9a-f]+, `), status.stderr);
  });

  it('node:http2 requests with a URL :authority, several on one connection (HPACK state kept)', async () => {
    const session = http2.connect(url);
    try {
      for (const authority of [url, `${url}/`, endpoint, url, url]) {
        const status = await new Promise<string>((resolve, reject) => {
          const req = session.request({
            ':method': 'POST',
            ':path': '/etcdserverpb.Maintenance/Status',
            ':authority': authority,
            'content-type': 'application/grpc',
            te: 'trailers',
          });
          let grpcStatus = '';
          req.on('trailers', (t) => (grpcStatus = String(t['grpc-status'])));
          req.on('error', reject);
          req.on('close', () => resolve(grpcStatus));
          req.resume();
          req.end(Buffer.alloc(5));
        });
        assert.equal(status, '0', `Status with :authority ${authority}`);
      }
    } finally {
      session.close();
    }
  });

  it('serves the JSON gateway, /health, /version and /metrics on the same port', async () => {
    const put = await fetch(`${url}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({
        key: Buffer.from('gw').toString('base64'),
        value: Buffer.from('json').toString('base64'),
      }),
    });
    assert.equal(put.status, 200);
    assert.ok(((await put.json()) as any).header.revision);
    const got: any = await (
      await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{"key":"Z3c="}' })
    ).json();
    assert.equal(Buffer.from(got.kvs[0].value, 'base64').toString(), 'json');
    assert.equal(got.count, '1');
    const bad = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{"key":' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).code, 3);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), '{"health":"true"}');
    const version: any = await (await fetch(`${url}/version`)).json();
    assert.ok(version.etcdserver && version.etcdcluster);
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  });

  it('streams /v3/watch as newline-delimited results', async () => {
    const ac = new AbortController();
    const res = await fetch(`${url}/v3/watch`, {
      method: 'POST',
      // A later request that does not decode only ends the sending side, as with grpc-gateway.
      body: `${JSON.stringify({ create_request: { key: Buffer.from('gw-watch').toString('base64') } })} {"bad`,
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    const lines = async (n: number) => {
      while (text.split('\n').filter(Boolean).length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    };
    const [created] = await lines(1);
    assert.equal(created.result.created, true);
    await ctl(['put', 'gw-watch', 'v1']);
    const [, ev] = await lines(2);
    assert.equal(Buffer.from(ev.result.events[0].kv.value, 'base64').toString(), 'v1');
    ac.abort();
    for (const body of ['{"bad', '[1]']) {
      const r = await fetch(`${url}/v3/watch`, { method: 'POST', body });
      assert.equal(r.status, 500);
      assert.equal(((await r.json()) as any).code, 2);
    }
  });

  it('takes watch requests from a request body that stays open', async () => {
    const port = Number(endpoint.split(':')[1]);
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v3/watch' });
    const lines: any[] = [];
    let wake: (() => void) | null = null;
    req.on('response', (res) => {
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
        wake?.();
      });
    });
    req.on('error', () => {});
    const until = async (n: number) => {
      const end = Date.now() + 10_000;
      while (lines.length < n && Date.now() < end)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      assert.ok(lines.length >= n, JSON.stringify(lines));
    };
    req.write(JSON.stringify({ create_request: { key: Buffer.from('open-body').toString('base64') } }));
    await until(1);
    assert.equal(lines[0].result.created, true);
    await ctl(['put', 'open-body', 'x']);
    await until(2);
    assert.equal(lines[1].result.events.length, 1);
    req.write(`\n${JSON.stringify({ cancel_request: { watch_id: lines[0].result.watch_id ?? '0' } })}`);
    await until(3);
    assert.equal(lines[2].result.canceled, true);
    req.destroy();
  });

  it('survives garbage bytes on the client port', async () => {
    for (const bytes of [
      Buffer.from('\x16\x03\x01\x02\x00garbage'),
      Buffer.alloc(1000, 0xff),
      Buffer.from('GET / HTTP/9\r\n\r\n'),
    ]) {
      const s = net.connect(Number(endpoint.split(':')[1]), '127.0.0.1');
      s.on('error', () => {});
      s.resume();
      await new Promise((r) => s.once('connect', r));
      s.end(bytes);
      await new Promise((r) => s.once('close', r));
    }
    assert.equal((await ctl(['put', 'after-garbage', 'ok'])).stdout, 'OK\n');
  });
});

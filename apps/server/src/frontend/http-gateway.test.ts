import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeLiteralBlock } from '@kv/api-proto/hpack';
import { freePorts } from '../test-ports.js';
import {
  type MemberProcess,
  memberArgs,
  REFERENCE_ETCD,
  spawnEtcd,
  spawnReferenceEtcd,
} from '../test-process.js';

// The client port's HTTP side against Debian's etcd 3.4 in the same run: the /v3beta gateway, Go's path
// cleaning, the 3.5 health probes (ours only: 3.4 has none) and --max-concurrent-streams.

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(port: number, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.end(body);
  });
}

/** What two servers must agree on: status, the headers a client reads, the body without the header. */
function comparable(r: Reply): object {
  let body: unknown = r.body;
  if (r.headers['content-type'] === 'application/json') {
    const j = JSON.parse(r.body);
    delete j.header;
    body = j;
  }
  const h = r.headers;
  return {
    status: r.status,
    type: h['content-type'],
    location: h.location,
    allow: h.allow,
    cors: h['access-control-allow-origin'],
    body,
  };
}

/** First message of a streaming gateway call (the body stays open, as a watching client's does). */
function firstStreamed(port: number, path: string, body: string): Promise<{ status: number; first: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        const nl = text.indexOf('\n');
        if (nl >= 0) {
          resolve({ status: res.statusCode!, first: JSON.parse(text.slice(0, nl)) });
          req.destroy();
        }
      });
    });
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('stream: timed out')));
    req.write(body);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const WATCH_CREATE = Buffer.from([0, 0, 0, 0, 5, 0x0a, 0x03, 0x0a, 0x01, 0x61]); // create_request{key:"a"}

function h2frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/**
 * A raw HTTP/2 client that acknowledges the server's SETTINGS and then opens three Watch streams anyway:
 * what the server sends back, frame by frame (HEADERS/DATA per stream, RST_STREAM with its code).
 */
function overLimit(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const seen: string[] = [];
    let buf = Buffer.alloc(0);
    let opened = false;
    sock.on('error', reject);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(seen);
    }, 1500);
    sock.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
    sock.write(h2frame(4, 0, 0, Buffer.alloc(0)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        const [type, flags, id] = [buf[3]!, buf[4]!, buf.readUInt32BE(5) & 0x7fffffff];
        const payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === 4 && (flags & 1) === 0) {
          sock.write(h2frame(4, 1, 0, Buffer.alloc(0)));
          // the SETTINGS that carries the limit: acknowledged, then ignored after a moment
          if (len > 0 && !opened) {
            opened = true;
            setTimeout(() => {
              for (const sid of [1, 3, 5]) {
                const block = encodeLiteralBlock([
                  [':method', 'POST'],
                  [':scheme', 'http'],
                  [':path', '/etcdserverpb.Watch/Watch'],
                  [':authority', `127.0.0.1:${port}`],
                  ['content-type', 'application/grpc'],
                  ['te', 'trailers'],
                ]);
                sock.write(h2frame(1, 4, sid, block));
                sock.write(h2frame(0, 0, sid, WATCH_CREATE));
              }
            }, 200);
          }
        } else if (type === 3) seen.push(`rst ${id} ${payload.readUInt32BE(0)}`);
        else if (type === 7) seen.push(`goaway ${payload.readUInt32BE(4)}`);
        else if (type === 1 || type === 0) seen.push(`${type === 1 ? 'headers' : 'data'} ${id}`);
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(seen);
    });
  });
}

const skip = !existsSync(REFERENCE_ETCD) && 'needs /usr/bin/etcd';

describe('client port HTTP side, with etcd 3.4 alongside', { skip }, () => {
  let dir: string;
  let ours: MemberProcess;
  let etcd: MemberProcess;
  const both = () => [ours, etcd];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const [oc, op, ec, ep] = await freePorts(4);
    const flags = ['--max-concurrent-streams', '2'];
    ours = spawnEtcd(
      [...memberArgs('o', oc!, op!, `o=http://127.0.0.1:${op}`), '--data-dir', join(dir, 'o'), ...flags],
      oc!,
      dir,
    );
    etcd = spawnReferenceEtcd(
      [...memberArgs('e', ec!, ep!, `e=http://127.0.0.1:${ep}`), '--data-dir', join(dir, 'e'), ...flags],
      ec!,
      dir,
    );
    await Promise.all(both().map((m) => m.waitLog('ready to serve client requests', 30_000)));
  });

  after(async () => {
    for (const m of [ours, etcd]) {
      if (m?.child.exitCode === null) {
        m.child.kill('SIGTERM');
        await m.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('/v3beta/ is /v3/ (3.3 clients), /v3alpha is gone, paths are cleaned as Go does', async () => {
    const steps: [string, string, string?][] = [
      ['POST', '/v3beta/kv/put', JSON.stringify({ key: b64('beta'), value: b64('1') })],
      ['POST', '/v3beta/kv/range', JSON.stringify({ key: b64('beta') })],
      ['POST', '/v3/kv/range', JSON.stringify({ key: b64('beta') })],
      ['POST', '/v3beta/kv/range?x=1', JSON.stringify({ key: b64('beta') })],
      ['POST', '/v3/kv/%72ange', JSON.stringify({ key: b64('beta') })],
      ['POST', '/v3beta/kv/txn', JSON.stringify({ success: [{ requestRange: { key: b64('beta') } }] })],
      ['POST', '/v3beta/lease/grant', JSON.stringify({ TTL: 60, ID: 77 })],
      ['POST', '/v3beta/kv/lease/revoke', JSON.stringify({ ID: 77 })],
      ['POST', '/v3beta/kv/range', '{"key":'],
      ['POST', '/v3beta/kv/range', '{"key":"%%%"}'],
      ['POST', '/v3beta/kv/put', '{"key":""}'],
      ['GET', '/v3beta/kv/range'],
      ['POST', '/v3beta/nope'],
      ['POST', '/v3beta/kv/range/'],
      ['POST', '/v3beta/'],
      ['POST', '/v3beta'],
      ['POST', '/v3alpha/kv/range', '{}'],
      ['POST', '/V3beta/kv/range', '{}'],
      ['POST', '/v3beta//kv/range?a=b', '{}'],
      ['GET', '/v3beta//kv/range?a=1'],
      ['POST', '/v3beta/./kv/../kv/range', '{}'],
      ['POST', '/v3?q=1'],
      ['GET', '//health'],
      ['OPTIONS', '/v3beta//kv/range'],
    ];
    for (const [method, path, body] of steps) {
      const [o, e] = await Promise.all(both().map((m) => call(m.clientPort, method, path, body)));
      assert.deepEqual(comparable(o!), comparable(e!), `${method} ${path} ${body ?? ''}`);
    }
    // what was written through /v3beta is there
    const r = await call(ours.clientPort, 'POST', '/v3/kv/range', JSON.stringify({ key: b64('beta') }));
    assert.equal(JSON.parse(r.body).kvs[0].value, b64('1'));
  });

  test('/v3beta/watch streams as /v3/watch', async () => {
    const body = JSON.stringify({ create_request: { key: b64('beta') } });
    const [o, e] = await Promise.all(both().map((m) => firstStreamed(m.clientPort, '/v3beta/watch', body)));
    assert.equal(o!.status, 200);
    assert.equal(o!.status, e!.status);
    assert.equal(o!.first.result.created, true);
    assert.equal(e!.first.result.created, true);
  });

  test('/livez and /readyz answer as etcd 3.5.11+ (etcd 3.4 has neither)', async () => {
    const p = ours.clientPort;
    assert.equal((await call(etcd.clientPort, 'GET', '/livez')).status, 404);
    let r = await call(p, 'GET', '/livez');
    assert.deepEqual(
      [r.status, r.body, r.headers['content-type']],
      [200, 'ok\n', 'text/plain; charset=utf-8'],
    );
    assert.equal((await call(p, 'GET', '/livez?verbose')).body, '[+]serializable_read ok\nok\n');
    r = await call(p, 'GET', '/readyz?verbose=1');
    assert.equal(
      r.body,
      '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\nok\n',
    );
    r = await call(p, 'GET', '/readyz?verbose&exclude=linearizable_read&exclude=nonexistent&exclude=');
    assert.equal(r.body, '[+]data_corruption ok\n[+]serializable_read ok\n[+]non_learner ok\nok\n');
    r = await call(p, 'GET', '/readyz/linearizable_read?verbose');
    assert.deepEqual([r.status, r.body], [200, '[+]linearizable_read ok\nok\n']);
    r = await call(p, 'POST', '/readyz');
    assert.deepEqual([r.status, r.headers.allow, r.body], [405, 'GET', 'Method Not Allowed\n']);
    assert.equal((await call(p, 'GET', '/readyz/nope')).status, 404);
    assert.equal((await call(p, 'GET', '/livez/')).status, 404);
  });

  test('a CORRUPT alarm: /readyz fails data_corruption, /livez stays ok, /health false on both', async () => {
    for (const m of both()) {
      const st = JSON.parse((await call(m.clientPort, 'POST', '/v3/maintenance/status', '{}')).body);
      const r = await call(
        m.clientPort,
        'POST',
        '/v3/maintenance/alarm',
        JSON.stringify({ action: 'ACTIVATE', memberID: st.header.member_id, alarm: 'CORRUPT' }),
      );
      assert.equal(r.status, 200, r.body);
    }
    const [oh, eh] = await Promise.all(both().map((m) => call(m.clientPort, 'GET', '/health')));
    assert.deepEqual(comparable(oh!), comparable(eh!));
    assert.equal(oh!.status, 503);
    const p = ours.clientPort;
    let r = await call(p, 'GET', '/readyz');
    assert.equal(r.status, 503);
    assert.equal(
      r.body,
      '[-]data_corruption failed: alarm activated: CORRUPT\n[+]serializable_read ok\n' +
        '[+]linearizable_read ok\n[+]non_learner ok\n\n',
    );
    assert.equal((await call(p, 'GET', '/readyz/data_corruption')).status, 503);
    r = await call(p, 'GET', '/readyz?exclude=data_corruption');
    assert.deepEqual([r.status, r.body], [200, 'ok\n']);
    assert.deepEqual([(await call(p, 'GET', '/livez')).status], [200]);
  });

  test('--max-concurrent-streams 2: announced, a third watch on the connection waits for a free stream', async () => {
    const run = (port: number) =>
      new Promise<{ limit: number | undefined; order: string[] }>((resolve, reject) => {
        const s = http2.connect(`http://127.0.0.1:${port}`);
        const order: string[] = [];
        s.on('error', reject);
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error(`no answer: ${order}`));
        }, 10_000);
        s.once('remoteSettings', (settings) => {
          const streams = [0, 1, 2].map((i) => {
            const st = s.request({
              ':method': 'POST',
              ':path': '/etcdserverpb.Watch/Watch',
              'content-type': 'application/grpc',
              te: 'trailers',
            });
            st.on('error', () => {});
            st.once('data', () => {
              order.push(`created ${i}`);
              if (order.length === 2) {
                setTimeout(() => {
                  order.push('closed 0');
                  streams[0]!.close();
                }, 300);
              }
              if (i === 2) {
                clearTimeout(timer);
                s.destroy();
                resolve({ limit: settings.maxConcurrentStreams, order });
              }
            });
            st.write(WATCH_CREATE);
            return st;
          });
        });
      });
    const [o, e] = await Promise.all(both().map((m) => run(m.clientPort)));
    assert.equal(e!.limit, 2);
    assert.equal(o!.limit, 2);
    assert.deepEqual(o!.order.slice(2), ['closed 0', 'created 2']);
    assert.deepEqual(e!.order.slice(2), ['closed 0', 'created 2']);
    // a client that ignores the limit it acknowledged: the extra stream is refused (REFUSED_STREAM, 7),
    // the connection and the other two streams stay
    const [ro, re] = await Promise.all(both().map((m) => overLimit(m.clientPort)));
    for (const seen of [ro!, re!]) {
      assert.deepEqual(
        [...seen].sort(),
        ['data 1', 'data 3', 'headers 1', 'headers 3', 'rst 5 7'],
        JSON.stringify(seen),
      );
    }
  });
});

test('--max-concurrent-streams and ETCD_MAX_CONCURRENT_STREAMS: bad values refused as etcd refuses them', async () => {
  const { spawnSync } = await import('node:child_process');
  const { ETCD_BIN } = await import('../test-process.js');
  const cases: [string[], Record<string, string>][] = [
    [['--max-concurrent-streams', '4294967296'], {}],
    [['--max-concurrent-streams', 'abc'], {}],
    [['--max-concurrent-streams', '-1'], {}],
    [[], { ETCD_MAX_CONCURRENT_STREAMS: '+5' }],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'gw-flags-'));
  try {
    for (const [args, env] of cases) {
      const opts = { encoding: 'utf8' as const, env: { ...process.env, ...env }, cwd: dir, timeout: 20_000 };
      const o = spawnSync(process.execPath, [ETCD_BIN, ...args, '--data-dir', join(dir, 'o')], opts);
      const firstLine = (s: string) =>
        s
          .split('\n')
          .find((l) => l.includes('max-concurrent-streams') || l.includes('MAX_CONCURRENT'))
          ?.replace(/^.* etcdmain: /, '');
      assert.ok(o.status !== 0, `${args} ${JSON.stringify(env)}`);
      if (existsSync(REFERENCE_ETCD)) {
        const e = spawnSync(REFERENCE_ETCD, [...args, '--data-dir', join(dir, 'e')], opts);
        assert.equal(o.status, e.status, `${args}: ${o.stderr} / ${e.stderr}`);
        assert.equal(firstLine(o.stderr), firstLine(e.stderr));
      }
      assert.equal(existsSync(join(dir, 'o')), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no leader (one of two members left): /readyz fails linearizable_read, /livez ok, /health false as etcd 3.4', {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-noleader-'));
  const started: MemberProcess[] = [];
  const pair = async (real: boolean) => {
    const [c1, p1, c2, p2] = await freePorts(4);
    const cluster = `a=http://127.0.0.1:${p1},b=http://127.0.0.1:${p2}`;
    const spawnOne = real ? spawnReferenceEtcd : spawnEtcd;
    const tag = real ? 'e' : 'o';
    const ms = [
      spawnOne([...memberArgs('a', c1!, p1!, cluster), '--data-dir', join(dir, `${tag}a`)], c1!, dir),
      spawnOne([...memberArgs('b', c2!, p2!, cluster), '--data-dir', join(dir, `${tag}b`)], c2!, dir),
    ];
    started.push(...ms);
    await Promise.all(ms.map((m) => m.waitLog('ready to serve client requests', 30_000)));
    ms[1]!.child.kill('SIGKILL');
    await ms[1]!.exited;
    return ms[0]!;
  };
  try {
    const [ours, etcd] = await Promise.all([pair(false), pair(true)]);
    // the survivor notices within an election timeout
    const deadline = Date.now() + 15_000;
    let health: [Reply, Reply] | undefined;
    while (Date.now() < deadline) {
      health = (await Promise.all([ours!, etcd!].map((m) => call(m.clientPort, 'GET', '/health')))) as [
        Reply,
        Reply,
      ];
      if (health[0].status === 503 && health[1].status === 503) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(comparable(health![0]), comparable(health![1]));
    assert.equal(health![0].status, 503);
    const p = ours!.clientPort;
    assert.deepEqual([(await call(p, 'GET', '/livez')).status], [200]);
    const r = await call(p, 'GET', '/readyz');
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      /^\[\+\]data_corruption ok\n\[\+\]serializable_read ok\n\[-\]linearizable_read failed: etcdserver: (no leader|request timed out)\n\[\+\]non_learner ok\n\n$/,
    );
    assert.equal((await call(p, 'GET', '/readyz?exclude=linearizable_read')).status, 200);
  } finally {
    for (const m of started) {
      if (m.child.exitCode === null && m.child.signalCode === null) {
        m.child.kill('SIGTERM');
        await m.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

// Client TLS end to end: a real member serving https:// with --client-cert-auth, driven by Debian's etcdctl
// (Go's gRPC over TLS) and by node's https for /health.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Etcd, startEtcd } from '../embed.js';
import { silentLogger } from '../etcd-server/logger.js';
import { makeCa, makeSignedCert } from '../test-certs.js';
import { freePorts } from '../test-ports.js';

const ETCDCTL = '/usr/bin/etcdctl';

/** A throwaway CA and a server and a client certificate signed by it, all for 127.0.0.1. */
function makeCerts(
  dir: string,
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const ca = makeCa(dir, 't-ca');
  const server = makeSignedCert(dir, ca, 'server');
  const client = makeSignedCert(dir, ca, 'client');
  return {
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  };
}

describe('client TLS', { skip: !existsSync(ETCDCTL) && 'needs /usr/bin/etcdctl' }, () => {
  let etcd: Etcd;
  let dir: string;
  let certs: ReturnType<typeof makeCerts>;
  let url = '';

  const ctl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        ETCDCTL,
        [`--endpoints=${url}`, '--dial-timeout=3s', '--command-timeout=5s', `--cacert=${certs.ca}`, ...args],
        { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-tls-'));
    certs = makeCerts(dir);
    const [cp, pp] = await freePorts(2);
    url = `https://127.0.0.1:${cp}`;
    etcd = await startEtcd(
      {
        name: 'tls',
        dataDir: join(dir, 'data'),
        listenClientUrls: [url],
        advertiseClientUrls: [url],
        listenPeerUrls: [`http://127.0.0.1:${pp}`],
        initialAdvertisePeerUrls: [`http://127.0.0.1:${pp}`],
        certFile: certs.serverCert,
        keyFile: certs.serverKey,
        trustedCaFile: certs.ca,
        clientCertAuth: true,
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
      },
      { logger: silentLogger() },
    );
    await etcd.server.ready();
  });
  after(async () => {
    await etcd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('etcdctl with a client certificate puts and gets over TLS', async () => {
    const auth = [`--cert=${certs.clientCert}`, `--key=${certs.clientKey}`];
    assert.deepEqual(await ctl([...auth, 'put', 'tls-k', 'v']), { code: 0, stdout: 'OK\n', stderr: '' });
    const got = await ctl([...auth, 'get', 'tls-k']);
    assert.equal(got.stdout, 'tls-k\nv\n');
  });

  it('etcdctl without a client certificate is refused', async () => {
    const r = await ctl(['get', 'tls-k']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
  });

  it('GET /health over https with the client certificate', async () => {
    const body = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.get(
        `${url}/health`,
        {
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
        },
        (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        },
      );
      req.on('error', reject);
    });
    assert.equal(body.status, 200);
    assert.match(body.body, /"health":"true"/);
  });

  it('HTTP/2 over TLS without gRPC (curl negotiates h2 by ALPN) reaches /health and the JSON gateway', async () => {
    const s = http2.connect(url, {
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    const request = (path: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = s.request({ ':path': path, ':method': body === undefined ? 'GET' : 'POST' });
        let b = '';
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d) => (b += d));
        req.on('end', () => resolve({ status, body: b }));
        req.on('error', reject);
        req.end(body);
      });
    try {
      const health = await request('/health');
      assert.equal(health.status, 200);
      assert.match(health.body, /"health":"true"/);
      const put = await request('/v3/kv/put', JSON.stringify({ key: 'aDI=', value: 'dg==' }));
      assert.equal(put.status, 200, put.body);
      assert.match(put.body, /"revision":"\d+"/);
    } finally {
      s.destroy();
    }
  });

  it('with auth enabled, the certificate common name is the user when no token is sent', async () => {
    const cert = [`--cert=${certs.clientCert}`, `--key=${certs.clientKey}`];
    const setup = [
      ['user', 'add', 'root:pw'],
      ['role', 'add', 'root'],
      ['user', 'grant-role', 'root', 'root'],
      ['user', 'add', 'client:x'],
      ['role', 'add', 'tls'],
      ['role', 'grant-permission', 'tls', '--prefix', 'readwrite', 'tls-'],
      ['user', 'grant-role', 'client', 'tls'],
      ['auth', 'enable'],
    ];
    for (const a of setup) assert.equal((await ctl([...cert, ...a])).code, 0, a.join(' '));
    assert.equal((await ctl([...cert, 'put', 'tls-k', 'cn'])).stdout, 'OK\n');
    assert.match((await ctl([...cert, 'put', 'other', 'x'])).stderr, /Error: etcdserver: permission denied/);
    assert.equal((await ctl([...cert, '--user', 'root:pw', 'auth', 'disable'])).code, 0);
  });
});

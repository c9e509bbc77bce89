import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { UnavailableError } from './errors';
import { makeCertificates, TestCluster } from './test-support/etcd-cluster';

describe('TLS with client certificates against a real server', () => {
  let cluster: TestCluster;
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kv-tls-'));
    certs = makeCertificates(dir);
    cluster = await TestCluster.start({
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca },
    });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('mutual TLS: calls and watches work; a client without a certificate is refused', async () => {
    assert.match(cluster.endpoints[0], /^https:/);
    const client = new Client({
      endpoints: cluster.endpoints,
      tls: {
        ca: readFileSync(certs.ca),
        cert: readFileSync(certs.clientCert),
        key: readFileSync(certs.clientKey),
      },
      defaultTimeout: 5000,
    });
    const noCert = new Client({
      endpoints: cluster.endpoints,
      tls: { ca: readFileSync(certs.ca) },
      maxRetries: 1,
      defaultTimeout: 3000,
    });
    try {
      const w = await client.watch('tls/k');
      await client.put('tls/k', 'secure');
      for await (const e of w) {
        assert.equal(e.kv.valueString, 'secure');
        break;
      }
      await w.cancel();
      await assert.rejects(noCert.get('tls/k'), UnavailableError);
    } finally {
      client.close();
      noCert.close();
    }
  });
});

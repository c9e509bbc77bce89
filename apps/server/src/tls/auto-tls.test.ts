import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostsOf, selfCert } from './auto-tls.js';

test('auto TLS makes cert.pem and key.pem once and reuses them on the next start, as etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autotls-'));
  try {
    const fixtures = join(dir, 'fixtures', 'peer');
    const hosts = hostsOf(['https://127.0.0.1:2380', 'https://localhost:2381', 'http://[::1]:2382']);
    assert.deepEqual(hosts, ['127.0.0.1', 'localhost', '::1']);
    const first = selfCert(fixtures, hosts);
    assert.deepEqual(first, { certFile: join(fixtures, 'cert.pem'), keyFile: join(fixtures, 'key.pem') });
    assert.equal(statSync(fixtures).mode & 0o777, 0o700);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(first.keyFile, 'utf8'), /^-----BEGIN EC PRIVATE KEY-----\n/);
    const cert = readFileSync(first.certFile, 'utf8');
    assert.equal(
      new X509Certificate(cert).subjectAltName,
      'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1',
    );
    selfCert(fixtures, ['other.example']);
    assert.equal(readFileSync(first.certFile, 'utf8'), cert, 'existing files are kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The certificate auto TLS makes, checked by two independent X.509 parsers (OpenSSL's command line and
// node's X509Certificate) and by a real TLS handshake that trusts it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { createSelfSignedCert } from './self-signed-cert.js';

const HOSTS = ['127.0.0.1', 'localhost', '::1', 'node1.example'];

test('openssl x509 reads every field etcd puts in a self-signed certificate, and the signature verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfcert-'));
  try {
    const { cert, key } = createSelfSignedCert({ hosts: HOSTS });
    writeFileSync(join(dir, 'cert.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-text'], {
      encoding: 'utf8',
    });
    for (const want of [
      'Version: 3 (0x2)',
      'Signature Algorithm: ecdsa-with-SHA512',
      'Issuer: O = etcd',
      'Subject: O = etcd',
      'ASN1 OID: secp521r1',
      'X509v3 Key Usage: critical',
      'Digital Signature, Key Encipherment',
      'TLS Web Server Authentication',
      'X509v3 Basic Constraints: critical',
      'CA:FALSE',
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      'DNS:node1.example',
    ]) {
      assert.ok(text.includes(want), `openssl shows ${want}:\n${text}`);
    }
    // -check_ss_sig makes OpenSSL check the signature of the self-signed trust anchor itself.
    const verified = execFileSync(
      'openssl',
      ['verify', '-check_ss_sig', '-CAfile', join(dir, 'cert.pem'), join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    assert.match(verified, /: OK/);
    const { der } = createSelfSignedCert({ hosts: HOSTS });
    der[der.length - 3]! ^= 0x01;
    const bad = join(dir, 'tampered.pem');
    writeFileSync(bad, `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`);
    assert.throws(
      () => execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', bad, bad], { stdio: 'pipe' }),
      /certificate signature failure/,
    );
    const keyText = execFileSync('openssl', ['ec', '-in', join(dir, 'key.pem'), '-noout', '-check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(keyText, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node parses it, its signature verifies with its own key, and a tampered one does not', () => {
  const now = new Date('2026-06-01T12:00:00.400Z');
  const { cert, key, der } = createSelfSignedCert({ hosts: HOSTS, curve: 'P-256', now, clientAuth: true });
  const x = new X509Certificate(cert);
  assert.equal(x.subject, 'O=etcd');
  assert.equal(x.issuer, 'O=etcd');
  assert.equal(x.ca, false);
  assert.equal(
    x.subjectAltName,
    'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1, DNS:node1.example',
  );
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(new Date(x.validFrom).toISOString(), '2026-06-01T12:00:00.000Z');
  assert.equal(new Date(x.validTo).toISOString(), '2027-06-01T12:00:00.000Z');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(x.verify(x.publicKey), 'self signature verifies');
  assert.ok(x.checkPrivateKey(createPrivateKey(key)), 'the key file matches');
  assert.ok(x.checkHost('localhost') && x.checkIP('127.0.0.1'));

  const tampered = Buffer.from(der);
  tampered[tampered.length - 3]! ^= 0x01;
  assert.equal(new X509Certificate(tampered).verify(x.publicKey), false);

  // Serials are random, positive and at most 128 bits.
  const serials = new Set([
    x.serialNumber,
    new X509Certificate(createSelfSignedCert({ hosts: [] }).cert).serialNumber,
  ]);
  assert.equal(serials.size, 2);
  for (const s of serials) assert.ok(s.length <= 32 + 2);
});

test('a TLS client that trusts the certificate completes a handshake with it and checks its names', async () => {
  const { cert, key } = createSelfSignedCert({ hosts: ['127.0.0.1', 'localhost'] });
  const server = tls.createServer({ cert, key }, (s) => s.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const hello = (servername?: string) =>
    new Promise<string>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, ca: cert, servername }, () => {
        c.once('data', (d) => resolve(d.toString()));
      });
      c.on('error', reject);
    });
  try {
    assert.equal(await hello(), 'hi');
    assert.equal(await hello('localhost'), 'hi');
    await assert.rejects(hello('other.example'), /does not match certificate's altnames/);
  } finally {
    server.close();
  }
});

// TLS flags against a real etcd serving clients over https (certificates made with openssl), compared
// with etcd's etcdctl 3.4 as the golden suite does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestEtcd } from './test-support/etcd';
import { OURS, REFERENCE, run } from './test-support/run-ctl';

const skip = (!existsSync('/usr/bin/openssl') || !existsSync(REFERENCE)) && 'needs openssl and etcdctl 3.4';
let dir: string;
let etcd: TestEtcd;

function makeCerts(d: string): void {
  const ssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: d, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kv-etcdctl-tls-'));
  makeCerts(dir);
  etcd = await TestEtcd.start([], { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') });
});
after(async () => {
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('TLS flags behave as etcdctl 3.4', { skip }, async () => {
  const ca = join(dir, 'ca.pem');
  const cases: string[][] = [
    ['put', 'a', 'b', `--cacert=${ca}`],
    ['get', 'a', `--cacert=${ca}`, '-w', 'json'],
    ['get', 'a', '--insecure-skip-tls-verify', '--insecure-transport=false'],
    ['get', 'a', '--cacert='],
    ['get', 'a', '--cacert=/nonexistent/ca.pem'],
    ['get', 'a', '--cert=', `--cacert=${ca}`],
  ];
  for (const c of cases) {
    const args = [`--endpoints=${etcd.endpoint}`, ...c];
    const [a, b] = await Promise.all([run(OURS, args), run(REFERENCE, args)]);
    assert.equal(a.stdout, b.stdout, `stdout of ${c.join(' ')}`);
    assert.equal(a.code, b.code, `exit code of ${c.join(' ')}: ${a.stderr}`);
    assert.deepEqual(a.errors, b.errors, `Error lines of ${c.join(' ')}`);
    if (c[0] === 'put') assert.equal(a.stdout, 'OK\n'); // the server really is reached over TLS
  }
});

test('roots from NODE_EXTRA_CA_CERTS are trusted as Go trusts SSL_CERT_FILE', { skip }, async () => {
  // bin/etcdctl keeps the variable out of node's start-up and adds the file to the roots itself
  const ca = join(dir, 'ca.pem');
  const args = [`--endpoints=${etcd.endpoint}`, 'get', 'a', '--insecure-transport=false'];
  const a = await run(OURS, args, { env: { NODE_EXTRA_CA_CERTS: ca } });
  const b = await run(REFERENCE, args, { env: { SSL_CERT_FILE: ca } });
  assert.equal(a.stdout, 'a\nb\n', a.stderr);
  assert.equal(a.stdout, b.stdout);
  const untrusted = await run(OURS, args, { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.equal(untrusted.code, 1);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config.js';
import { parseConfigFile } from './config-file.js';
import { parseArgs } from './parse-args.js';

const SAMPLE = `# This is the configuration file for the etcd server.
name: 'default'
data-dir: /var/lib/etcd
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
listen-peer-urls: http://localhost:2380
listen-client-urls: http://localhost:2379,http://127.0.0.1:12379
initial-cluster-state: 'new'
strict-reconfig-check: false
log-outputs: [stderr]
client-transport-security:
  # Path to the client server TLS cert file.
  cert-file: /c.crt
  client-cert-auth: true
  crl-file:
peer-transport-security:
  key-file: "/p.key"
unknown-key: ignored
`;

test('the sample layout: scalars, quotes, empty values, flow lists, the nested TLS blocks', () => {
  assert.deepEqual(Object.fromEntries(parseConfigFile(SAMPLE)), {
    name: 'default',
    'data-dir': '/var/lib/etcd',
    'snapshot-count': '10000',
    'heartbeat-interval': '100',
    'listen-peer-urls': 'http://localhost:2380',
    'listen-client-urls': 'http://localhost:2379,http://127.0.0.1:12379',
    'initial-cluster-state': 'new',
    'strict-reconfig-check': 'false',
    'log-outputs': 'stderr',
    'cert-file': '/c.crt',
    'client-cert-auth': 'true',
    'peer-key-file': '/p.key',
    'unknown-key': 'ignored',
  });
  assert.equal(
    parseConfigFile('log-outputs:\n  - stderr\n  - /tmp/x # a comment\n').get('log-outputs'),
    'stderr,/tmp/x',
  );
});

test('--config-file replaces flags and ETCD_* variables; a missing file is the error etcd prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-config-file-'));
  try {
    const file = join(dir, 'etcd.yml');
    writeFileSync(
      file,
      `name: fromfile\nsnapshot-count: 7\nlisten-client-urls: http://127.0.0.1:1\nno-such-flag: 1\n`,
    );
    const r = parseArgs(['--config-file', file, '--name', 'fromflag'], { ETCD_SNAPSHOT_COUNT: '9' });
    assert.equal(r.config.name, 'fromfile');
    assert.equal(r.config.snapshotCount, 7);
    assert.deepEqual(r.config.listenClientUrls, ['http://127.0.0.1:1']);
    assert.equal(parseArgs([], { ETCD_CONFIG_FILE: file }).config.name, 'fromfile');
    const missing = join(dir, 'nope.yml');
    assert.throws(
      () => parseArgs(['--config-file', missing]),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.exitCode === 1 &&
        e.message === `error verifying flags, open ${missing}: no such file or directory. See 'etcd --help'.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

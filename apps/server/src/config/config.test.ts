import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, verifyConfig } from './config.js';
import { parseDurationMs } from './flags.js';
import { parseInitialCluster } from './initial-cluster.js';
import { parseArgs } from './parse-args.js';

test("defaults are etcd's", () => {
  const { config, action } = parseArgs([], {});
  assert.equal(action, 'start');
  assert.equal(config.name, 'default');
  assert.equal(config.dataDir, 'default.etcd');
  assert.deepEqual(config.listenClientUrls, ['http://localhost:2379']);
  assert.deepEqual(config.advertiseClientUrls, ['http://localhost:2379']);
  assert.deepEqual(config.listenPeerUrls, ['http://localhost:2380']);
  assert.equal(config.initialCluster, 'default=http://localhost:2380');
  assert.equal(config.initialClusterState, 'new');
  assert.equal(config.initialClusterToken, 'etcd-cluster');
  assert.equal(config.heartbeatIntervalMs, 100);
  assert.equal(config.electionTimeoutMs, 1000);
  assert.equal(config.snapshotCount, 100000);
  assert.equal(config.maxRequestBytes, 1572864);
  assert.equal(config.maxTxnOps, 128);
  assert.equal(config.autoCompactionMode, 'periodic');
});

test('flag syntaxes and derived values', () => {
  const { config } = parseArgs(
    ['--name', 'n1', '-heartbeat-interval=50', '--election-timeout', '500', '--pre-vote', '--enable-pprof'],
    {},
  );
  assert.equal(config.name, 'n1');
  assert.equal(config.dataDir, 'n1.etcd');
  assert.equal(config.initialCluster, 'n1=http://localhost:2380');
  assert.equal(config.heartbeatIntervalMs, 50);
  assert.equal(config.electionTimeoutMs, 500);
  assert.equal(config.preVote, true);
});

test('ETCD_* environment fills flags not given', () => {
  const { config, warnings } = parseArgs(['--name', 'x'], {
    ETCD_DATA_DIR: '/tmp/d',
    ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1,http://127.0.0.1:2',
    ETCD_BOGUS: '1',
    ETCDCTL_API: '3',
  });
  assert.equal(config.dataDir, '/tmp/d');
  assert.deepEqual(config.listenClientUrls, ['http://127.0.0.1:1', 'http://127.0.0.1:2']);
  assert.deepEqual(warnings, ['unrecognized environment variable ETCD_BOGUS=1']);
  assert.throws(() => parseArgs(['--name', 'x'], { ETCD_NAME: 'y' }), /shadowed/);
});

test('unknown flags and bad values fail like etcd', () => {
  const err = (args: string[], env = {}) => {
    try {
      parseArgs(args, env);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return [e.message.split('\n')[0], e.exitCode];
    }
    assert.fail('expected an error');
  };
  assert.deepEqual(err(['--foo']), ['flag provided but not defined: -foo', 2]);
  assert.deepEqual(err(['--heartbeat-interval', 'abc']), [
    'invalid value "abc" for flag -heartbeat-interval: parse error',
    2,
  ]);
  assert.deepEqual(err(['--snapshot-count', '-1']), [
    'invalid value "-1" for flag -snapshot-count: parse error',
    2,
  ]);
  assert.deepEqual(err(['--initial-cluster-state', 'bogus']), [
    'invalid value "bogus" for flag -initial-cluster-state: invalid value',
    2,
  ]);
  assert.deepEqual(err(['--listen-client-urls', 'foo']), [
    'invalid value "foo" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: foo',
    2,
  ]);
  assert.deepEqual(err(['extra']), [
    "error verifying flags, 'extra' is not a valid flag. See 'etcd --help'.",
    1,
  ]);
  assert.deepEqual(err([], { ETCD_HEARTBEAT_INTERVAL: 'abc' }), [
    `error verifying flags, invalid value "abc" for ETCD_HEARTBEAT_INTERVAL: parse error. See 'etcd --help'.`,
    1,
  ]);
  assert.deepEqual(err(['--name']), ['flag needs an argument: -name', 2]);
});

test('verification after parsing', () => {
  assert.throws(
    () => verifyConfig(parseArgs(['--election-timeout', '100'], {}).config),
    /--election-timeout\[100ms\] should be at least as 5 times as --heartbeat-interval\[100ms\]/,
  );
  assert.throws(
    () => verifyConfig(parseArgs(['--auto-compaction-mode', 'bogus'], {}).config),
    /unknown auto-compaction-mode "bogus"/,
  );
  verifyConfig(parseArgs([], {}).config);
  const https = ['--listen-client-urls', 'https://127.0.0.1:2379'];
  assert.throws(
    () => verifyConfig(parseArgs(https, {}).config),
    /TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127.0.0.1:2379/,
  );
  const tls = parseArgs([...https, '--cert-file', 'c.pem', '--key-file', 'k.pem', '--client-cert-auth'], {});
  verifyConfig(tls.config);
  assert.equal(tls.config.certFile, 'c.pem');
  assert.equal(tls.config.clientCertAuth, true);
  assert.deepEqual(tls.warnings, []);
  const auth = parseArgs(['--auth-token', 'simple', '--auth-token-ttl', '5'], {}).config;
  verifyConfig(auth);
  assert.equal(auth.authTokenTtl, 5);
  assert.throws(
    () => verifyConfig(parseArgs(['--auth-token', 'jwt,pub-key=a,priv-key=b'], {}).config),
    /^ConfigError: auth: problem loading JWT options: open a: no such file or directory\nauth: invalid auth options$/,
  );
  assert.throws(() => verifyConfig(parseArgs(['--auth-token', 'bogus'], {}).config), /invalid auth options/);
  // --max-concurrent-streams: uint32, default math.MaxUint32, also from the environment
  assert.equal(parseArgs([], {}).config.maxConcurrentStreams, 4294967295);
  assert.equal(parseArgs(['--max-concurrent-streams', '3'], {}).config.maxConcurrentStreams, 3);
  const env = parseArgs([], { ETCD_MAX_CONCURRENT_STREAMS: '7' });
  assert.equal(env.config.maxConcurrentStreams, 7);
  assert.deepEqual(env.warnings, []);
});

test('initial cluster and durations', () => {
  const m = parseInitialCluster('a=http://h1:2380,b=http://h2:2380,a=http://h1b:2380');
  assert.deepEqual(
    [...m.entries()],
    [
      ['a', ['http://h1:2380', 'http://h1b:2380']],
      ['b', ['http://h2:2380']],
    ],
  );
  assert.throws(() => parseInitialCluster('foo'), /URL scheme/);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.throws(() => parseDurationMs('5x'));
});

test('peer TLS and auto TLS flags, from the command line and ETCD_* variables', () => {
  const peer = ['--listen-peer-urls', 'https://127.0.0.1:2380'];
  assert.throws(
    () => verifyConfig(parseArgs(peer, {}).config),
    /^ConfigError: cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented$/,
  );
  const files = parseArgs(
    [
      ...peer,
      '--peer-cert-file',
      'p.pem',
      '--peer-key-file',
      'pk.pem',
      '--peer-trusted-ca-file',
      'ca.pem',
      '--peer-client-cert-auth',
      '--peer-cert-allowed-cn',
      'member',
    ],
    {},
  );
  verifyConfig(files.config);
  assert.deepEqual(files.warnings, []);
  const { peerCertFile, peerKeyFile, peerTrustedCaFile, peerClientCertAuth, peerCertAllowedCn } =
    files.config;
  assert.deepEqual(
    { peerCertFile, peerKeyFile, peerTrustedCaFile, peerClientCertAuth, peerCertAllowedCn },
    {
      peerCertFile: 'p.pem',
      peerKeyFile: 'pk.pem',
      peerTrustedCaFile: 'ca.pem',
      peerClientCertAuth: true,
      peerCertAllowedCn: 'member',
    },
  );
  // Auto TLS makes its own certificates, so https:// URLs need no files.
  const auto = parseArgs(['--listen-client-urls', 'https://127.0.0.1:2379'], {
    ETCD_LISTEN_PEER_URLS: 'https://127.0.0.1:2380',
    ETCD_PEER_AUTO_TLS: 'true',
    ETCD_AUTO_TLS: 'true',
  });
  verifyConfig(auto.config);
  assert.equal(auto.config.peerAutoTls, true);
  assert.equal(auto.config.autoTls, true);
  assert.deepEqual(auto.warnings, []);
});

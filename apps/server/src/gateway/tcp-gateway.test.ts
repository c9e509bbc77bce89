import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Etcd, startEtcd } from '../embed.js';
import { silentLogger } from '../etcd-server/logger.js';
import { freePorts } from '../test-ports.js';
import { GatewayUsageError, parseGatewayArgs, type RunningGateway, startGateway } from './tcp-gateway.js';

const ETCDCTL = '/usr/bin/etcdctl';

describe('etcd gateway arguments', () => {
  it('flags on either side of start, schemes stripped, etcd defaults otherwise', () => {
    assert.deepEqual(parseGatewayArgs(['--endpoints=http://127.0.0.1:1,127.0.0.1:2', 'start']), {
      listenAddr: '127.0.0.1:23790',
      endpoints: ['127.0.0.1:1', '127.0.0.1:2'],
      retryDelayMs: 60_000,
    });
    assert.equal(
      parseGatewayArgs(['start', '--listen-addr', '127.0.0.1:9', '--retry-delay=5s']).retryDelayMs,
      5000,
    );
    assert.throws(() => parseGatewayArgs([]), GatewayUsageError);
    assert.throws(() => parseGatewayArgs(['start', '--nope=1']), GatewayUsageError);
  });
});

describe('etcd gateway start', { skip: !existsSync(ETCDCTL) && 'needs /usr/bin/etcdctl' }, () => {
  let etcd: Etcd;
  let gw: RunningGateway;
  let dir: string;
  let dead = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-gateway-'));
    const [cp, pp, unused] = await freePorts(3);
    dead = unused!;
    etcd = await startEtcd(
      {
        name: 'gw',
        dataDir: join(dir, 'data'),
        listenClientUrls: [`http://127.0.0.1:${cp}`],
        advertiseClientUrls: [`http://127.0.0.1:${cp}`],
        listenPeerUrls: [`http://127.0.0.1:${pp}`],
        initialAdvertisePeerUrls: [`http://127.0.0.1:${pp}`],
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
      },
      { logger: silentLogger() },
    );
    await etcd.server.ready();
    // The first endpoint refuses connections: the gateway must skip it and use the live one.
    gw = await startGateway(
      {
        listenAddr: '127.0.0.1:0',
        endpoints: [`127.0.0.1:${dead}`, `127.0.0.1:${cp}`],
        retryDelayMs: 60_000,
      },
      silentLogger(),
    );
  });
  after(async () => {
    await gw?.close();
    await etcd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stock etcdctl puts and gets through it, past a dead endpoint', async () => {
    const ctl = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          ETCDCTL,
          [`--endpoints=127.0.0.1:${gw.port}`, '--dial-timeout=3s', '--command-timeout=5s', ...args],
          { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
    for (let i = 0; i < 3; i++) assert.equal(await ctl(['put', `k${i}`, 'v']), 'OK\n');
    assert.equal(await ctl(['get', 'k2', '--print-value-only']), 'v\n');
  });
});

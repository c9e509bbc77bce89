import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePorts } from '../test-ports.js';
import {
  ETCD_BIN,
  type MemberProcess,
  memberArgs,
  REFERENCE_ETCD,
  spawnEtcd,
  spawnReferenceEtcd,
} from '../test-process.js';

// --auth-token jwt with real processes: Debian's etcdctl against ours and etcd 3.4 started with the same
// flags and keys (made by openssl here), tokens crossing between the two implementations and between the
// members of a three-member cluster of ours, and bad options refused as etcd refuses them.

const ETCDCTL = '/usr/bin/etcdctl';
const skip = (!existsSync(REFERENCE_ETCD) || !existsSync(ETCDCTL)) && 'needs /usr/bin/etcd and etcdctl';

function ctl(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      ETCDCTL,
      [`--endpoints=127.0.0.1:${port}`, '--dial-timeout=3s', '--command-timeout=8s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
      (err, stdout, stderr) => {
        // etcdctl's JSON retry log lines name the endpoint; the Error: line is what a user reads
        const errors = stderr
          .split('\n')
          .filter((l) => l.startsWith('Error:'))
          .join('\n');
        resolve(`${stdout}${errors}(exit ${err ? (err.code ?? 'killed') : 0})`);
      },
    );
  });
}

function post(
  port: number,
  path: string,
  body: object,
  token?: string,
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { authorization: token };
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${path}: timed out`)));
    req.end(JSON.stringify(body));
  });
}

/** The reply without what differs between servers (ids, revisions in the header). */
function shape(r: { status: number; json: any }): object {
  const { header: _h, ...rest } = r.json;
  return { status: r.status, ...rest };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

async function authenticate(port: number, password = 'pw'): Promise<string> {
  const r = await post(port, '/v3/auth/authenticate', { name: 'root', password });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.token;
}

async function stop(m: MemberProcess | undefined): Promise<void> {
  if (m?.child.exitCode === null) {
    m.child.kill('SIGTERM');
    await m.exited;
  }
}

describe('--auth-token jwt', { skip }, () => {
  let dir: string;
  const k = (name: string) => join(dir, name);
  const running: MemberProcess[] = [];
  const jwt = (extra = '') =>
    `jwt,pub-key=${k('rsa.pub')},priv-key=${k('rsa.pem')},sign-method=RS256,ttl=5m${extra}`;

  async function single(real: boolean, authToken: string): Promise<MemberProcess> {
    const [c, p] = await freePorts(2);
    const name = real ? 'e' : 'o';
    const args = [
      ...memberArgs(name, c!, p!, `${name}=http://127.0.0.1:${p}`),
      '--data-dir',
      join(dir, `${name}-${c}`),
      '--auth-token',
      authToken,
    ];
    const m = real ? spawnReferenceEtcd(args, c!, dir) : spawnEtcd(args, c!, dir);
    running.push(m);
    await m.waitLog('ready to serve client requests', 30_000);
    return m;
  }

  async function enableRoot(port: number): Promise<void> {
    for (const args of [
      ['user', 'add', 'root:pw'],
      ['role', 'add', 'root'],
      ['user', 'grant-role', 'root', 'root'],
      ['user', 'add', 'alice:apw'],
      ['auth', 'enable'],
    ]) {
      assert.match(await ctl(port, ...args), /\(exit 0\)$/);
    }
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'jwt-e2e-'));
    execFileSync('openssl', ['genrsa', '-out', k('rsa.pem'), '2048'], { stdio: 'pipe' });
    execFileSync('openssl', ['rsa', '-in', k('rsa.pem'), '-pubout', '-out', k('rsa.pub')], { stdio: 'pipe' });
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', k('ec.pem')]);
  });

  after(async () => {
    await Promise.all(running.map(stop));
    rmSync(dir, { recursive: true, force: true });
  });

  test("bad --auth-token options: etcd 3.4's error and exit code; the data dir is untouched", async () => {
    const [c, p] = await freePorts(2);
    const data = k('kept');
    const args = (name: string, d: string) => [
      ...memberArgs(name, c!, p!, `${name}=http://127.0.0.1:${p}`),
      '--data-dir',
      d,
    ];
    const ours = spawnEtcd(args('o', data), c!, dir);
    await ours.waitLog('ready to serve client requests', 30_000);
    assert.match(await ctl(c!, 'put', 'kept', 'yes'), /^OK/);
    await stop(ours);
    const specs = [
      'bogus',
      'jwt',
      'jwt,sign-method',
      'jwt,sign-method=RS256,sign-method=RS256',
      'jwt,sign-method=RS256',
      `jwt,sign-method=RS256,ttl=abc,priv-key=${k('rsa.pem')}`,
      `jwt,sign-method=RS256,priv-key=${k('missing.pem')}`,
      `jwt,sign-method=XX256,priv-key=${k('rsa.pem')}`,
      `jwt,sign-method=EdDSA,priv-key=${k('rsa.pem')}`,
      `jwt,sign-method=RS256,priv-key=${k('ec.pem')}`,
      `jwt,sign-method=ES256,priv-key=${k('rsa.pem')}`,
      `jwt,sign-method=RS256,pub-key=${k('rsa.pem')}`,
      `jwt,sign-method=ES256,pub-key=${k('rsa.pub')}`,
    ];
    const lastLine = (s: string) =>
      s
        .trim()
        .split('\n')
        .pop()!
        .replace(/^.* C \| etcdmain: /, '');
    // run side by side: each is a process start that fails at once
    const exec = (cmd: string, argv: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(cmd, argv, { cwd: dir, timeout: 30_000 }, (err, _out, stderr) =>
          resolve({ code: err ? Number(err.code) : 0, stderr }),
        );
      });
    // etcd binds its ports before it reads --auth-token: each run gets its own
    const eports = await freePorts(2 * specs.length);
    const results = await Promise.all(
      specs.map((spec, i) => {
        const [ec, ep] = [eports[2 * i]!, eports[2 * i + 1]!];
        const eargs = [...memberArgs('e', ec, ep, `e=http://127.0.0.1:${ep}`), '--data-dir', k(`e-bad-${i}`)];
        return Promise.all([
          exec(process.execPath, [ETCD_BIN, ...args('o', data), '--auth-token', spec]),
          exec(REFERENCE_ETCD, [...eargs, '--auth-token', spec]),
        ]);
      }),
    );
    results.forEach(([o, e], i) => {
      const spec = specs[i]!;
      assert.equal(o.code, 1, `${spec}: ${o.stderr}`);
      assert.equal(o.code, e.code, `${spec}: ${e.stderr}`);
      assert.equal(lastLine(o.stderr), lastLine(e.stderr), spec);
    });
    const again = spawnEtcd(args('o', data), c!, dir);
    running.push(again);
    await again.waitLog('ready to serve client requests', 30_000);
    assert.equal(await ctl(c!, 'get', 'kept', '--print-value-only'), 'yes\n(exit 0)');
    await stop(again);
  });

  test('etcdctl --user, errors, and tokens: ours and etcd 3.4 with the same keys agree', async () => {
    const [ours, etcd] = await Promise.all([single(false, jwt(',foo=bar')), single(true, jwt(',foo=bar'))]);
    const both = [ours, etcd];
    await Promise.all(both.map((m) => enableRoot(m.clientPort)));
    for (const args of [
      ['--user', 'root:pw', 'put', 'k', 'v'],
      ['--user', 'root:pw', 'get', 'k'],
      ['--user', 'root:wrong', 'get', 'k'],
      ['--user', 'alice:apw', 'get', 'k'],
      ['get', 'k'],
      ['--user', 'nobody:pw', 'get', 'k'],
    ]) {
      const [o, e] = await Promise.all(both.map((m) => ctl(m.clientPort, ...args)));
      assert.equal(o, e, args.join(' '));
    }
    const [to, te] = await Promise.all(both.map((m) => authenticate(m.clientPort)));
    // the same claims (revision: the auth revision at Authenticate), ttl=5m from the option
    assert.deepEqual(Object.keys(claimsOf(to!)), ['exp', 'revision', 'username']);
    assert.equal(claimsOf(to!).revision, claimsOf(te!).revision);
    assert.equal(claimsOf(to!).username, 'root');
    assert.ok(Math.abs(claimsOf(to!).exp - (Date.now() / 1000 + 300)) < 30);
    assert.equal(to!.split('.')[0], te!.split('.')[0]);
    // each implementation takes the other's token: same format, same key
    const range = (m: MemberProcess, token: string) =>
      post(m.clientPort, '/v3/kv/range', { key: 'aw==' }, token);
    const cross = await Promise.all([range(ours, te!), range(etcd, to!)]);
    for (const r of cross) assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(shape(cross[0]!), shape(cross[1]!));
    // tampered, expired, forged-by-another-key and malformed tokens: etcd's invalid auth token
    const [h, c, s] = to!.split('.');
    const key = createPrivateKey(readFileSync(k('rsa.pem')));
    const signed = (claims: object) => {
      const input = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    };
    const revision = claimsOf(to!).revision;
    const bad = [
      `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(to!), username: 'alice' })).toString('base64url')}.${s}`,
      `${h}.${c}.${s!.slice(0, 10)}`,
      signed({ exp: Math.floor(Date.now() / 1000) - 5, revision, username: 'root' }),
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${c}.`,
      'not-a-token',
    ];
    // a token we sign ourselves with the key and a live exp is good on both (nothing per-token is kept)
    const minted = signed({ exp: Math.floor(Date.now() / 1000) + 60, revision, username: 'root' });
    for (const m of both) assert.equal((await range(m, minted)).status, 200);
    for (const token of bad) {
      const [o, e] = await Promise.all(both.map((m) => range(m, token)));
      assert.deepEqual(shape(o!), shape(e!), token);
      assert.equal(o!.json.message, 'etcdserver: invalid auth token');
    }
    // an auth change makes every earlier JWT old, on both
    await Promise.all(both.map((m) => ctl(m.clientPort, '--user', 'root:pw', 'user', 'add', 'bob:bpw')));
    const [o, e] = await Promise.all([range(ours, to!), range(etcd, te!)]);
    assert.deepEqual(shape(o!), shape(e!));
    assert.equal(o!.json.message, 'etcdserver: revision of auth store is old');
  });

  test('three members of ours: a token from one member works on the others; a pub-key-only member verifies but cannot issue, as etcd', async () => {
    const ports = await freePorts(6);
    const names = ['a', 'b', 'c'];
    const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[3 + i]}`).join(',');
    const members = names.map((n, i) => {
      const token =
        n === 'c'
          ? `jwt,pub-key=${k('rsa.pub')},sign-method=RS256`
          : `jwt,priv-key=${k('rsa.pem')},sign-method=RS256`;
      const m = spawnEtcd(
        [
          ...memberArgs(n, ports[i]!, ports[3 + i]!, cluster),
          '--data-dir',
          k(`m-${n}`),
          '--auth-token',
          token,
        ],
        ports[i]!,
        dir,
      );
      running.push(m);
      return m;
    });
    const verifyOnlyEtcd = single(true, `jwt,pub-key=${k('rsa.pub')},sign-method=RS256`);
    await Promise.all(members.map((m) => m.waitLog('ready to serve client requests', 30_000)));
    const [a, b, c] = members as [MemberProcess, MemberProcess, MemberProcess];
    await enableRoot(a.clientPort);
    assert.match(await ctl(a.clientPort, '--user', 'root:pw', 'put', 'shared', '1'), /^OK/);
    const token = await authenticate(a.clientPort);
    for (const m of [b, c]) {
      const r = await post(
        m.clientPort,
        '/v3/kv/range',
        { key: Buffer.from('shared').toString('base64') },
        token,
      );
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.kvs[0].value, Buffer.from('1').toString('base64'));
    }
    const tokenB = await authenticate(b.clientPort);
    assert.equal(
      (await post(a.clientPort, '/v3/kv/put', { key: 'eA==', value: 'eQ==' }, tokenB)).status,
      200,
    );
    // etcdctl against each member
    assert.equal(
      await ctl(b.clientPort, '--user', 'root:pw', 'get', 'shared', '--print-value-only'),
      '1\n(exit 0)',
    );
    // the verify-only member and a verify-only etcd 3.4 refuse to issue in the same words
    const real = await verifyOnlyEtcd;
    await enableRoot(real.clientPort);
    const [oc, ec] = await Promise.all(
      [c, real].map((m) => post(m.clientPort, '/v3/auth/authenticate', { name: 'root', password: 'pw' })),
    );
    assert.deepEqual(shape(oc!), shape(ec!));
    assert.equal(oc!.json.message, 'auth: token signing attempted with verify-only key');
    const [co, ce] = await Promise.all(
      [c, real].map((m) => ctl(m.clientPort, '--user', 'root:pw', 'get', 'shared')),
    );
    assert.equal(co, ce);
  });
});

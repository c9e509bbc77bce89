import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Cluster, httpRequest, SUITE_TIMEOUT_MS, skipReason } from './harness/index';
import { ETCDCTL } from './harness/server-binary';

interface Step {
  args: string[];
  stdin?: string;
}

/** One etcdctl run as the comparison sees it: exit code, stdout, and the `Error:` lines of stderr. */
async function run(endpoint: string, step: Step): Promise<string> {
  const child = spawn(
    ETCDCTL,
    [`--endpoints=${endpoint}`, '--dial-timeout=3s', '--command-timeout=8s', ...step.args],
    {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(step.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  clearTimeout(timer);
  const errors = err
    .split('\n')
    .filter((l) => l.startsWith('Error:'))
    .join('\n');
  const show = `$ etcdctl ${step.args.join(' ')}\n${out}${errors}\n(exit ${code})`;
  // Endpoints differ between the two servers' runs.
  return show.replaceAll(endpoint, 'ENDPOINT');
}

const root = ['--user', 'root:rootpw'];
const alice = ['--user', 'alice:alicepw'];

// The sequence a user of etcdctl's user/role/auth commands goes through, with the mistakes etcd answers.
const STEPS: Step[] = [
  { args: ['user', 'add', 'root:rootpw'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['role', 'add', 'app'] },
  { args: ['role', 'grant-permission', 'app', '--prefix', 'readwrite', 'app/'] },
  { args: ['role', 'grant-permission', 'app', 'read', 'shared'] },
  { args: ['role', 'grant-permission', 'app', '--from-key', 'write', 'zlogs/'] },
  { args: ['role', 'grant-permission', 'app', 'read', 'b', 'a'] },
  { args: ['role', 'grant-permission', 'nope', 'read', 'x'] },
  { args: ['user', 'add', 'alice:alicepw'] },
  { args: ['user', 'grant-role', 'alice', 'app'] },
  { args: ['user', 'add', 'bob:bobpw'] },
  { args: ['role', 'get', 'app'] },
  { args: ['role', 'list'] },
  { args: ['user', 'list'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'get', 'alice', '--detail'] },
  { args: ['user', 'get', 'nobody'] },
  { args: ['put', 'before', 'auth'] },
  { args: ['auth', 'enable'] },
  { args: [...root, 'auth', 'enable'] },
  { args: ['put', 'x', '1'] },
  { args: ['get', 'before'] },
  { args: ['user', 'list'] },
  { args: [...alice, 'put', 'app/a', '1'] },
  { args: [...alice, 'get', 'app/', '--prefix'] },
  { args: [...alice, 'put', 'shared', 's'] },
  { args: [...root, 'put', 'shared', 's'] },
  { args: [...alice, 'get', 'shared'] },
  { args: [...alice, 'get', 'other'] },
  { args: [...alice, 'get', 'app/', '--prefix', '--consistency=s'] },
  { args: [...alice, 'put', 'zlogs/1', 'x'] },
  { args: [...alice, 'del', 'app/', '--prefix', '--prev-kv'] },
  { args: [...alice, 'put', 'app/b', '2', '--prev-kv'] },
  { args: ['--user', 'alice:wrong', 'get', 'app/b'] },
  { args: ['--user', 'nobody:pw', 'get', 'app/b'] },
  { args: ['--user', 'bob:bobpw', 'get', 'app/b'] },
  { args: [...alice, 'user', 'list'] },
  { args: [...alice, 'role', 'list'] },
  { args: [...alice, 'user', 'get', 'alice'] },
  { args: [...alice, 'user', 'get', 'bob'] },
  { args: [...alice, 'role', 'get', 'app'] },
  { args: [...alice, 'role', 'get', 'root'] },
  { args: [...alice, 'user', 'add', 'eve:evepw'] },
  { args: [...alice, 'auth', 'disable'] },
  { args: [...alice, 'endpoint', 'hashkv'] },
  // Membership changes take the root role (etcd's own e2e TestCtlV3AuthMember*); the IDs are never reached.
  { args: [...alice, 'member', 'add', 'm2', '--peer-urls=http://127.0.0.1:1'] },
  { args: [...alice, 'member', 'remove', '1234'] },
  { args: [...alice, 'member', 'update', '1234', '--peer-urls=http://127.0.0.1:1'] },
  { args: ['member', 'remove', '1234'] },
  { args: [...alice, 'watch', 'other'] },
  { args: [...alice, 'lock', 'other'] },
  { args: [...alice, 'elect', '-l', 'other'] },
  { args: [...alice, 'txn'], stdin: 'value("app/b") = "2"\n\nput other x\n\nget app/b\n\n' },
  { args: [...alice, 'txn'], stdin: 'value("other") = "2"\n\nput app/c x\n\n\n' },
  { args: [...alice, 'txn'], stdin: 'value("app/b") = "x"\n\nput app/c x\n\nget app/b\n\n' },
  { args: [...root, 'get', '', '--from-key', '--keys-only'] },
  { args: [...root, 'user', 'get', 'alice', '--detail'] },
  { args: [...root, 'user', 'passwd', 'alice', '--interactive=false'], stdin: 'newpw\n' },
  { args: [...alice, 'get', 'app/b'] },
  { args: ['--user', 'alice:newpw', 'get', 'app/b'] },
  { args: [...root, 'role', 'revoke-permission', 'app', 'shared'] },
  { args: [...root, 'role', 'revoke-permission', 'app', 'shared'] },
  { args: [...root, 'role', 'revoke-permission', 'app', 'app/', '--prefix'] },
  { args: [...root, 'role', 'get', 'app'] },
  { args: [...root, 'user', 'revoke-role', 'alice', 'app'] },
  { args: [...root, 'user', 'revoke-role', 'alice', 'app'] },
  { args: [...root, 'user', 'grant-role', 'alice', 'nope'] },
  { args: [...root, 'user', 'add', 'root:again'] },
  { args: [...root, 'role', 'add', 'root'] },
  { args: [...root, 'user', 'delete', 'bob'] },
  { args: [...root, 'user', 'delete', 'bob'] },
  { args: [...root, 'user', 'delete', 'root'] },
  { args: [...root, 'role', 'delete', 'root'] },
  { args: [...root, 'user', 'revoke-role', 'root', 'root'] },
  { args: [...root, 'role', 'delete', 'app'] },
  { args: [...root, 'user', 'get', 'alice'] },
  { args: [...root, 'auth', 'disable'] },
  { args: ['put', 'x', 'after'] },
  { args: ['user', 'list'] },
  { args: ['role', 'list'] },
  { args: ['auth', 'disable'] },
];

async function transcript(kind: 'ours' | 'etcd'): Promise<string[]> {
  const c = await Cluster.start({ size: 1, kind });
  try {
    const out: string[] = [];
    for (const step of STEPS) out.push(await run(c.members[0]!.endpoint, step));
    return out;
  } finally {
    await c.destroy();
  }
}

describe('etcdctl user/role/auth commands: our server answers as etcd 3.4', {
  skip: skipReason('ours') ?? (existsSync('/usr/bin/etcd') ? undefined : '/usr/bin/etcd not installed'),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  it('the same sequence prints the same stdout, Error: lines and exit codes on both', async () => {
    const [etcd, ours] = await Promise.all([transcript('etcd'), transcript('ours')]);
    const diffs = STEPS.flatMap((_, i) =>
      ours[i] === etcd[i] ? [] : [`--- etcd:\n${etcd[i]}\n+++ ours:\n${ours[i]}`],
    );
    assert.equal(diffs.length, 0, diffs.join('\n\n'));
  });
});

describe('auth state across a kill -9 of our server', {
  skip: skipReason('ours'),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 1, kind: 'ours' });
  });
  after(async () => {
    await c?.destroy();
  });

  it('users, roles, permissions and the enabled flag survive; tokens do not', async () => {
    const ep = c.members[0]!.endpoint;
    for (const step of STEPS.slice(0, 12)) await run(ep, step);
    await run(ep, { args: ['auth', 'enable'] });
    await run(ep, { args: [...alice, 'put', 'app/k', 'v'] });
    // A token from before the crash (through the JSON gateway, which takes it as Authorization).
    const url = c.members[0]!.clientUrl;
    const auth = await httpRequest(`${url}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: 'alice', password: 'alicepw' }),
    });
    const token = (JSON.parse(auth.body) as { token: string }).token;
    const get = () =>
      httpRequest(`${url}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('app/k').toString('base64') }),
        headers: { authorization: token },
      });
    assert.equal((await get()).status, 200);
    await c.members[0]!.kill9();
    c.members[0]!.start();
    await c.members[0]!.waitHealthy();
    // Tokens live in memory only: the client must authenticate again.
    assert.match((await get()).body, /invalid auth token/);
    assert.match(await run(ep, { args: ['get', 'app/k'] }), /Error: etcdserver: user name is empty/);
    assert.match(await run(ep, { args: [...alice, 'get', 'app/k'] }), /app\/k\nv\n/);
    assert.match(await run(ep, { args: [...alice, 'put', 'shared', 'no'] }), /permission denied/);
    assert.match(await run(ep, { args: [...root, 'user', 'list'] }), /alice\nbob\nroot\n/);
    assert.match(
      await run(ep, { args: [...root, 'role', 'get', 'app'] }),
      /\[app\/, app0\) \(prefix app\/\)/,
    );
  });
});

describe('auth in a 3-member cluster', { skip: skipReason(), timeout: SUITE_TIMEOUT_MS }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 3 });
  });
  after(async () => {
    await c?.destroy();
  });

  it('enabled on one member, a user authenticates and works on the others; tokens are valid on every member', async () => {
    const [m1, m2, m3] = c.members as [Cluster['members'][0], Cluster['members'][0], Cluster['members'][0]];
    for (const step of STEPS.slice(0, 12)) await run(m1.endpoint, step);
    assert.match(await run(m1.endpoint, { args: ['auth', 'enable'] }), /Authentication Enabled/);
    assert.match(await run(m2.endpoint, { args: [...alice, 'put', 'app/x', '1'] }), /OK/);
    assert.match(
      await run(m3.endpoint, { args: [...alice, 'get', 'app/x', '--consistency=s'] }),
      /app\/x\n1\n/,
    );
    assert.match(await run(m3.endpoint, { args: [...alice, 'put', 'other', '1'] }), /permission denied/);
    assert.match(await run(m2.endpoint, { args: ['get', 'app/x'] }), /user name is empty/);
    // A token assigned through m1 is known to m2 and m3 once they applied its entry.
    const auth = await httpRequest(`${m1.clientUrl}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: 'alice', password: 'alicepw' }),
    });
    const token = (JSON.parse(auth.body) as { token: string }).token;
    for (const m of [m2, m3]) {
      const r = await httpRequest(`${m.clientUrl}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('app/x').toString('base64') }),
        headers: { authorization: token },
      });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /"count":"1"/);
    }
    // Management from a follower as root; the change reaches every member.
    assert.match(
      await run(m3.endpoint, { args: [...root, 'user', 'revoke-role', 'alice', 'app'] }),
      /revoked/,
    );
    assert.match(await run(m2.endpoint, { args: [...alice, 'get', 'app/x'] }), /permission denied/);
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import {
  Cluster,
  etcdctl,
  etcdctlOk,
  httpRequest,
  isHealthy,
  readLocal,
  serverKind,
  skipReason,
  waitFor,
} from './harness/index';
import { missingAcked } from './workload/acked-writes';
import { SINGLE_ATTEMPT } from './workload/no-retry';

/** Writes bytes to host:port, then waits (bounded) for the server to close or the time to pass. */
function sendRaw(port: number, chunks: Buffer[], waitMs = 1500): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
    });
  });
}

/** The member still answers: healthy, and a put then a get through stock etcdctl round-trip. */
async function assertServing(c: Cluster, tag: string) {
  const m = c.members[0]!;
  assert.ok(m.running, `server process died (${tag}); log:\n${m.log.slice(-2000)}`);
  assert.ok(await isHealthy(m.clientUrl), `unhealthy after ${tag}`);
  assert.equal((await etcdctlOk(m.endpoint, ['put', `alive/${tag}`, 'yes'])).trim(), 'OK');
  assert.equal((await etcdctlOk(m.endpoint, ['get', `alive/${tag}`, '--print-value-only'])).trim(), 'yes');
}

describe(`bad input gets clean errors [${serverKind()}]`, { skip: skipReason() }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 1, flags: ['--max-request-bytes', '65536'] });
  });
  after(async () => {
    await c?.destroy();
  });

  it('a put larger than --max-request-bytes gets "etcdserver: request is too large"', async () => {
    const ep = c.endpoints[0]!;
    const r = await etcdctl(ep, ['put', 'big', 'v'.repeat(70_000)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /etcdserver: request is too large/, `stderr: ${r.stderr}`);
    // Under the limit is fine.
    assert.equal((await etcdctlOk(ep, ['put', 'big', 'v'.repeat(60_000)])).trim(), 'OK');
    assert.equal((await etcdctlOk(ep, ['get', 'big', '--print-value-only'])).trim().length, 60_000);
    await assertServing(c, 'oversized');
  });

  it('garbage bytes on the client port do not crash the server', async () => {
    const port = c.members[0]!.spec.clientPort;
    await sendRaw(port, [randomBytes(64 * 1024)]);
    // A valid HTTP/2 preface followed by nonsense frames.
    await sendRaw(port, [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), randomBytes(4096)]);
    // A frame header claiming a huge frame, then hang up early.
    await sendRaw(port, [
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
      Buffer.from([0xff, 0xff, 0xff, 0x00, 0, 0, 0, 0, 1]),
    ]);
    // Half an HTTP/1.1 request, then junk headers.
    await sendRaw(
      port,
      [Buffer.from('POST /v3/kv/put HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{"key":')],
      500,
    );
    await sendRaw(port, [Buffer.from('GET / HTTP/1.1\r\n\x00\x01\x02: \xff\xfe\r\n\r\n')]);
    // Many connections opened and dropped at once.
    await Promise.all(Array.from({ length: 30 }, () => sendRaw(port, [randomBytes(100)], 300)));
    await assertServing(c, 'garbage');
  });

  it('malformed JSON to POST /v3/kv/put gets a 400 with a JSON error', async () => {
    const url = `${c.members[0]!.clientUrl}/v3/kv/put`;
    for (const body of ['{"key": "a', '{"key": 123}', 'not json at all', '']) {
      const r = await httpRequest(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 400, `body ${JSON.stringify(body)} -> ${r.status} ${r.body}`);
      const j = JSON.parse(r.body) as { code?: number; error?: string; message?: string };
      assert.equal(j.code, 3, `gRPC code InvalidArgument for ${JSON.stringify(body)}: ${r.body}`);
      assert.ok((j.error ?? j.message ?? '').length > 0, `an error message for ${JSON.stringify(body)}`);
    }
    // The same endpoint still works with good JSON.
    const ok = await httpRequest(url, {
      method: 'POST',
      body: JSON.stringify({
        key: Buffer.from('json-ok').toString('base64'),
        value: Buffer.from('1').toString('base64'),
      }),
    });
    assert.equal(ok.status, 200, ok.body);
    assert.ok((JSON.parse(ok.body) as { header?: unknown }).header, ok.body);
    await assertServing(c, 'json');
  });
});

describe(`a full --quota-backend-bytes [${serverKind()}]`, { skip: skipReason() }, () => {
  let c: Cluster;
  let client: Etcd3 | undefined;
  const quota = 1024 * 1024;
  before(async () => {
    c = await Cluster.start({ size: 1, flags: ['--quota-backend-bytes', String(quota)] });
  });
  after(async () => {
    client?.close();
    await c?.destroy();
  });

  it('puts fail with "database space exceeded", NOSPACE is raised, reads work, nothing acknowledged is lost', async (t) => {
    const ep = c.endpoints[0]!;
    client = new Etcd3({
      hosts: c.clientUrls,
      defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
      faultHandling: { global: SINGLE_ATTEMPT },
    });
    const acked = new Map<string, string>();
    let firstError = '';
    // 32 KiB values: a 1 MiB quota fills within a few dozen; the bound is 40x that.
    for (let i = 0; i < 1200 && !firstError; i++) {
      const key = `quota/${String(i).padStart(5, '0')}`;
      const value = `${i}:`.padEnd(32 * 1024, String.fromCharCode(97 + (i % 26)));
      try {
        await client.put(key).value(value);
        acked.set(key, value);
      } catch (e) {
        firstError = (e as Error).message;
      }
    }
    t.diagnostic(`${acked.size} puts of 32 KiB acknowledged before: ${firstError}`);
    assert.match(firstError, /database space exceeded/, 'the quota was never hit');

    const put = await etcdctl(ep, ['put', 'one-more', 'x']);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /etcdserver: mvcc: database space exceeded/, put.stderr);

    const alarms = await etcdctlOk(ep, ['alarm', 'list']);
    assert.match(alarms, /^memberID:\d+ alarm:NOSPACE\s*$/m, alarms);

    // Reads still work and every acknowledged put is there.
    const first = [...acked][0]!;
    assert.equal((await etcdctlOk(ep, ['get', first[0], '--print-value-only'])).trim(), first[1]);
    const held = await readLocal(ep, 'quota/');
    assert.deepEqual(missingAcked(acked, held.kvs).slice(0, 5), [], 'acknowledged puts lost');
    const lin = await client.getAll().prefix('quota/').strings();
    assert.deepEqual(missingAcked(acked, new Map(Object.entries(lin))).slice(0, 5), [], 'linearizable read');
    assert.ok(c.members[0]!.running);

    // After kill -9 and a restart the data and the alarm are both still there. (A member with an
    // active alarm reports itself unhealthy on /health, so wait for reads instead.)
    const m = c.members[0]!;
    await m.kill9();
    m.start();
    const after = await waitFor(
      'reads after restart',
      () => readLocal(ep, 'quota/').catch(() => undefined),
      45_000,
      200,
    );
    assert.deepEqual(missingAcked(acked, after.kvs).slice(0, 5), [], 'acknowledged puts lost across kill -9');
    assert.match(await etcdctlOk(ep, ['alarm', 'list']), /alarm:NOSPACE/);
    const again = await etcdctl(ep, ['put', 'one-more', 'x']);
    assert.match(again.stderr, /etcdserver: mvcc: database space exceeded/, again.stderr);

    // The quota is about the data: a quarter of it must fit (etcd 3.4 takes 25 such puts in 1 MiB).
    assert.ok(acked.size >= 8, `only ${acked.size} puts of 32 KiB fit in a ${quota}-byte quota`);
  });
});

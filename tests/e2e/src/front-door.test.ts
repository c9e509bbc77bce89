import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Cluster, etcdctlOk, httpRequest, SUITE_TIMEOUT_MS, serverKind, skipReason } from './harness/index';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** Opens POST /v3/watch with body, collects the streamed JSON messages until `until` holds or the deadline. */
function watchStream(
  url: string,
  body: object,
  until: (msgs: any[]) => boolean,
  onOpen: () => void,
  timeoutMs: number,
) {
  return new Promise<any[]>((resolve, reject) => {
    const msgs: any[] = [];
    let buf = '';
    const req = request(url, { method: 'POST', agent: false }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`watch: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        // The gateway writes one JSON object per message, newline separated.
        let i = buf.indexOf('\n');
        while (i >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) msgs.push(JSON.parse(line));
          i = buf.indexOf('\n');
        }
        if (msgs.length === 1 && msgs[0]?.result?.created) onOpen();
        if (until(msgs)) {
          clearTimeout(timer);
          req.destroy();
          resolve(msgs);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`watch stream: timed out; got ${JSON.stringify(msgs)} and ${JSON.stringify(buf)}`));
    }, timeoutMs);
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
    req.write(JSON.stringify(body));
    req.end();
  });
}

describe(`HTTP front door: /version, /health, /metrics, JSON gateway [${serverKind()}]`, {
  skip: skipReason(),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 1 });
  });
  after(async () => {
    await c?.destroy();
  });

  it('GET /version names the server and cluster versions', async () => {
    const r = await httpRequest(`${c.clientUrls[0]}/version`);
    assert.equal(r.status, 200);
    const j = JSON.parse(r.body) as { etcdserver?: string; etcdcluster?: string };
    assert.match(j.etcdserver ?? '', /^3\.\d+\.\d+/, r.body);
    assert.match(j.etcdcluster ?? '', /^3\.\d+\.\d+/, r.body);
  });

  it("GET /metrics has etcd's main metric names", async () => {
    await etcdctlOk(c.endpoints[0]!, ['put', 'm', '1']);
    const r = await httpRequest(`${c.clientUrls[0]}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.body, /^etcd_server_has_leader 1$/m);
    for (const name of [
      'etcd_server_proposals_committed_total',
      'etcd_disk_wal_fsync_duration_seconds_bucket',
      'etcd_mvcc_db_total_size_in_bytes',
    ]) {
      assert.match(r.body, new RegExp(`^${name}(\\{[^}]*\\})? \\d`, 'm'), `${name} missing`);
    }
  });

  it('POST /v3/kv/put then /v3/kv/range round-trip base64 JSON', async () => {
    const url = c.clientUrls[0]!;
    const put = await httpRequest(`${url}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: b64('gw/key'), value: b64('gw value') }),
    });
    assert.equal(put.status, 200, put.body);
    const range = await httpRequest(`${url}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: b64('gw/key') }),
    });
    assert.equal(range.status, 200, range.body);
    const j = JSON.parse(range.body) as {
      kvs?: Array<{ key: string; value: string; version: string }>;
      count?: string;
    };
    assert.equal(j.count, '1', range.body);
    assert.equal(unb64(j.kvs![0]!.key), 'gw/key');
    assert.equal(unb64(j.kvs![0]!.value), 'gw value');
    assert.equal(j.kvs![0]!.version, '1');
    // And stock etcdctl sees the same key.
    assert.equal(
      (await etcdctlOk(c.endpoints[0]!, ['get', 'gw/key', '--print-value-only'])).trim(),
      'gw value',
    );
  });

  it('POST /v3/watch streams the events of a put', async () => {
    const url = c.clientUrls[0]!;
    const msgs = await watchStream(
      `${url}/v3/watch`,
      { create_request: { key: b64('gw/watched') } },
      (m) => m.some((x) => x.result?.events?.length),
      () => {
        void etcdctlOk(c.endpoints[0]!, ['put', 'gw/watched', 'seen']);
      },
      15_000,
    );
    const ev = msgs.find((x) => x.result?.events?.length).result.events[0];
    assert.equal(unb64(ev.kv.key), 'gw/watched');
    assert.equal(unb64(ev.kv.value), 'seen');
    assert.ok(ev.type === undefined || ev.type === 'PUT', `event type ${ev.type}`);
  });

  it('SIGTERM shuts the member down cleanly and a restart keeps the data', async () => {
    const m = c.members[0]!;
    await etcdctlOk(m.endpoint, ['put', 'durable', 'across-restart']);
    await m.stop(15_000);
    assert.equal(m.running, false);
    // Exit 0, or (as etcd does after cleaning up) re-raising SIGTERM: either way within the grace time.
    assert.ok(
      m.exitCode === 0 || m.exitSignal === 'SIGTERM',
      `exit ${m.exitCode} signal ${m.exitSignal} after SIGTERM; log:\n${m.log.slice(-1500)}`,
    );
    m.start();
    await m.waitHealthy(45_000);
    assert.equal(
      (await etcdctlOk(m.endpoint, ['get', 'durable', '--print-value-only'])).trim(),
      'across-restart',
    );
  });
});

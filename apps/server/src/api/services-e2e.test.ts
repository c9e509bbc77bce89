// The service handlers on a real member over real gRPC: Watch stream details, LeaseKeepAlive, Snapshot,
// v3lock and v3election through grpc-js clients, and the npm etcd3 client's everyday calls.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { clientConstructor, type ServiceName, toNumber } from '@kv/api-proto';
import { Etcd3 } from 'etcd3';
import { type Etcd, startEtcd } from '../embed.js';
import { silentLogger } from '../etcd-server/logger.js';
import { freePorts } from '../test-ports.js';

let etcd: Etcd;
let dir: string;
let addr = '';
const clients: grpc.Client[] = [];
const b = (s: string) => Buffer.from(s);

function client(name: ServiceName): any {
  const C = clientConstructor(name);
  const c = new C(addr, grpc.credentials.createInsecure());
  clients.push(c);
  return c;
}

function call<T = any>(c: any, method: string, req: object, opts: grpc.CallOptions = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    c[method](req, new grpc.Metadata(), opts, (err: Error | null, res: T) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

/** Collects a stream's responses; `next(n)` waits until n have arrived. */
function collect(stream: grpc.ClientReadableStream<any> | grpc.ClientDuplexStream<any, any>) {
  const got: any[] = [];
  let wake: (() => void) | null = null;
  stream.on('data', (d) => {
    got.push(d);
    wake?.();
  });
  stream.on('error', () => {});
  return {
    got,
    async next(n: number, ms = 5000): Promise<any[]> {
      const end = Date.now() + ms;
      while (got.length < n) {
        if (Date.now() > end) throw new Error(`got ${got.length} of ${n}: ${JSON.stringify(got)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return got.slice(0, n);
    },
  };
}

describe('etcd services on a real member', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kv-services-'));
    const [cport, peer] = await freePorts(2);
    addr = `127.0.0.1:${cport}`;
    etcd = await startEtcd(
      {
        name: 'svc',
        dataDir: join(dir, 'svc.etcd'),
        listenClientUrls: [`http://${addr}`],
        advertiseClientUrls: [`http://${addr}`],
        listenPeerUrls: [`http://127.0.0.1:${peer}`],
        initialAdvertisePeerUrls: [`http://127.0.0.1:${peer}`],
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
      } as any,
      { logger: silentLogger() },
    );
    await (etcd.server as any).ready();
  });

  after(async () => {
    for (const c of clients) c.close();
    await etcd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Watch: created, history from a start revision, prev_kv, filters, cancel, progress', async () => {
    const kv = client('KV');
    const first = await call(kv, 'Put', { key: b('w/a'), value: b('1') });
    const rev1 = toNumber(first.header.revision);
    await call(kv, 'Put', { key: b('w/a'), value: b('2') });
    await call(kv, 'DeleteRange', { key: b('w/a') });

    const w = client('Watch').Watch();
    const s = collect(w);
    w.write({ createRequest: { key: b('w/'), rangeEnd: b('w0'), startRevision: rev1, prevKv: true } });
    const [created, history] = await s.next(2);
    assert.equal(created.created, true);
    assert.equal(toNumber(created.watchId), 0);
    const types = history.events.map((e: any) => e.type);
    assert.deepEqual(types, [0, 0, 1]);
    assert.equal(Buffer.from(history.events[1].prevKv.value).toString(), '1');

    w.write({ createRequest: { key: b('f'), filters: [0] } }); // NOPUT
    const [, , created2] = await s.next(3);
    assert.equal(toNumber(created2.watchId), 1);
    await call(kv, 'Put', { key: b('f'), value: b('x') });
    await call(kv, 'DeleteRange', { key: b('f') });
    const [, , , onlyDelete] = await s.next(4);
    assert.equal(toNumber(onlyDelete.watchId), 1);
    assert.deepEqual(
      onlyDelete.events.map((e: any) => e.type),
      [1],
    );

    w.write({ cancelRequest: { watchId: 1 } });
    const [, , , , canceled] = await s.next(5);
    assert.equal(canceled.canceled, true);
    assert.equal(toNumber(canceled.watchId), 1);

    w.write({ progressRequest: {} });
    const [, , , , , progress] = await s.next(6);
    assert.equal(progress.events.length, 0);
    assert.ok(toNumber(progress.header.revision) >= rev1 + 2);
    w.end();
  });

  it('Watch: 200 watchers on one stream each see every event once, in revision order', async () => {
    const kv = client('KV');
    const w = client('Watch').Watch();
    const s = collect(w);
    const N = 200;
    for (let i = 0; i < N; i++) w.write({ createRequest: { key: b('fan'), prevKv: i % 2 === 0 } });
    await s.next(N);
    const ids = new Set(s.got.map((r) => toNumber(r.watchId)));
    assert.equal(ids.size, N);
    const PUTS = 20;
    for (let i = 0; i < PUTS; i++) await call(kv, 'Put', { key: b('fan'), value: b(String(i)) });
    const seen = new Map<number, number[]>();
    const deadline = Date.now() + 15_000;
    let total = 0;
    while (total < N * PUTS && Date.now() < deadline) {
      await s.next(s.got.length + 1).catch(() => {});
      total = s.got.slice(N).reduce((n, r) => n + r.events.length, 0);
    }
    for (const r of s.got.slice(N)) {
      const list = seen.get(toNumber(r.watchId)) ?? [];
      for (const ev of r.events) list.push(toNumber(ev.kv.modRevision));
      seen.set(toNumber(r.watchId), list);
    }
    assert.equal(seen.size, N);
    for (const [, revs] of seen) {
      assert.equal(revs.length, PUTS);
      for (let i = 1; i < revs.length; i++) assert.equal(revs[i], revs[i - 1]! + 1);
    }
    w.end();
  });

  it('Watch: a compacted start revision is reported and the watcher canceled', async () => {
    const kv = client('KV');
    const r = await call(kv, 'Put', { key: b('c/x'), value: b('1') });
    const rev = toNumber(r.header.revision);
    await call(kv, 'Put', { key: b('c/x'), value: b('2') });
    await call(kv, 'Compact', { revision: rev + 1 });
    const w = client('Watch').Watch();
    const s = collect(w);
    w.write({ createRequest: { key: b('c/x'), startRevision: rev } });
    const [created, compacted] = await s.next(2);
    assert.equal(created.created, true);
    assert.equal(compacted.canceled, true);
    assert.equal(toNumber(compacted.compactRevision), rev + 1);
    w.end();
  });

  it('Watch: a batch larger than --max-request-bytes is split into fragments when asked', async () => {
    const kv = client('KV');
    const big = Buffer.alloc(700 * 1024, 'v');
    let first = 0;
    for (let i = 0; i < 3; i++) {
      const r = await call(kv, 'Put', { key: b(`frag/${i}`), value: big });
      if (i === 0) first = toNumber(r.header.revision);
    }
    const w = client('Watch').Watch();
    const s = collect(w);
    w.write({
      createRequest: { key: b('frag/'), rangeEnd: b('frag0'), startRevision: first, fragment: true },
    });
    const deadline = Date.now() + 10_000;
    let events = 0;
    while (events < 3 && Date.now() < deadline) {
      await s.next(s.got.length + 1);
      events = s.got.slice(1).reduce((n, r) => n + r.events.length, 0);
    }
    assert.equal(events, 3);
    const parts = s.got.slice(1);
    assert.ok(parts.length >= 2, 'split into several responses');
    assert.equal(parts[parts.length - 1].fragment, false);
    for (const p of parts.slice(0, -1)) assert.equal(p.fragment, true);
    w.end();
  });

  it('LeaseKeepAlive: renewals return the TTL, an unknown lease gets TTL 0', async () => {
    const lease = client('Lease');
    const g = await call(lease, 'LeaseGrant', { TTL: 30 });
    const ka = lease.LeaseKeepAlive();
    const s = collect(ka);
    ka.write({ ID: g.ID });
    ka.write({ ID: 12345 });
    const [renewed, unknown] = await s.next(2);
    assert.equal(toNumber(renewed.TTL), 30);
    assert.equal(toNumber(unknown.TTL), 0);
    ka.end();
    await assert.rejects(call(lease, 'LeaseRevoke', { ID: 12345 }), /requested lease not found/);
  });

  it('Snapshot streams blobs down to remaining_bytes 0', async () => {
    const stream = client('Maintenance').Snapshot({});
    const chunks: any[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (d: any) => chunks.push(d));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.ok(chunks.length > 0);
    assert.equal(toNumber(chunks[chunks.length - 1].remainingBytes), 0);
  });

  it('v3lock: a second Lock waits until the holder unlocks', async () => {
    const lease = client('Lease');
    const lock = client('Lock');
    const l1 = await call(lease, 'LeaseGrant', { TTL: 30 });
    const l2 = await call(lease, 'LeaseGrant', { TTL: 30 });
    const held = await call(lock, 'Lock', { name: b('mtx'), lease: l1.ID });
    assert.match(Buffer.from(held.key).toString(), /^mtx\/[0-9a-f]+$/);
    let second: any = null;
    const waiting = call(lock, 'Lock', { name: b('mtx'), lease: l2.ID }).then((r) => {
      second = r;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(second, null);
    await call(lock, 'Unlock', { key: held.key });
    const got = await waiting;
    assert.notEqual(Buffer.from(got.key).toString(), Buffer.from(held.key).toString());
    await call(lock, 'Unlock', { key: got.key });
  });

  it('v3election: campaign, leader, proclaim, observe, resign', async () => {
    const lease = client('Lease');
    const el = client('Election');
    const l1 = await call(lease, 'LeaseGrant', { TTL: 30 });
    const l2 = await call(lease, 'LeaseGrant', { TTL: 30 });
    const c1 = await call(el, 'Campaign', { name: b('el'), lease: l1.ID, value: b('one') });
    const leader = await call(el, 'Leader', { name: b('el') });
    assert.equal(Buffer.from(leader.kv.value).toString(), 'one');
    const obs = el.Observe({ name: b('el') });
    const s = collect(obs);
    await s.next(1);
    await call(el, 'Proclaim', { leader: c1.leader, value: b('uno') });
    const [, proclaimed] = await s.next(2);
    assert.equal(Buffer.from(proclaimed.kv.value).toString(), 'uno');
    let c2: any = null;
    const campaign2 = call(el, 'Campaign', { name: b('el'), lease: l2.ID, value: b('two') }).then(
      (r) => (c2 = r),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c2, null);
    await call(el, 'Resign', { leader: c1.leader });
    await campaign2;
    const [, , next] = await s.next(3);
    assert.equal(Buffer.from(next.kv.value).toString(), 'two');
    obs.cancel();
    await assert.rejects(call(el, 'Proclaim', { leader: c1.leader, value: b('x') }), /election: not leader/);
    await assert.rejects(call(el, 'Leader', { name: b('nobody') }), /election: no leader/);
  });

  it('the npm etcd3 client: put/get/delete/txn/watch/lease/lock/election', async () => {
    const e3 = new Etcd3({ hosts: `http://${addr}` });
    try {
      await e3.put('e3/a').value('1');
      assert.equal(await e3.get('e3/a').string(), '1');
      const res = await e3
        .if('e3/a', 'Value', '==', '1')
        .then(e3.put('e3/b').value('2'))
        .else(e3.put('e3/c').value('3'))
        .commit();
      assert.equal(res.succeeded, true);
      assert.deepEqual(await e3.getAll().prefix('e3/').strings(), { 'e3/a': '1', 'e3/b': '2' });
      const watcher = await e3.watch().key('e3/w').create();
      const seen = new Promise<string>((resolve) => watcher.on('put', (kv) => resolve(kv.value.toString())));
      await e3.put('e3/w').value('watched');
      assert.equal(await seen, 'watched');
      await watcher.cancel();
      const l = e3.lease(10);
      await l.put('e3/leased').value('x');
      assert.equal(await e3.get('e3/leased').string(), 'x');
      await l.revoke();
      assert.equal(await e3.get('e3/leased').string(), null);
      await e3.delete().prefix('e3/');
      assert.equal(await e3.getAll().prefix('e3/').count(), 0);

      // etcd3's lock is a try-lock: a second acquire fails while the first holds it.
      const first = await e3.lock('e3-mutex').ttl(10).acquire();
      await assert.rejects(e3.lock('e3-mutex').ttl(10).acquire(), /Failed to acquire a lock on e3-mutex/);
      await first.release();
      await (await e3.lock('e3-mutex').ttl(10).acquire()).release();

      // etcd3's election: the campaigner leads, a proclaim is seen, resign leaves no leader.
      const election = e3.election('e3-election', 10);
      const campaign = election.campaign('candidate-1');
      await new Promise<void>((resolve, reject) => {
        campaign.on('elected', () => resolve());
        campaign.on('error', reject);
      });
      assert.equal(await election.leader(), 'candidate-1');
      await campaign.proclaim('candidate-1b');
      assert.equal(await election.leader(), 'candidate-1b');
      await campaign.resign();
      assert.equal(await election.leader(), undefined);
    } finally {
      e3.close();
    }
  });
});

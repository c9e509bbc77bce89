import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Client } from './client';
import { CompactedError } from './errors';
import { TestCluster } from './test-support/etcd-cluster';
import type { WatchEvent } from './watcher';

function metric(url: string, name: string): Promise<number | undefined> {
  return new Promise((res, rej) => {
    request(`${url}/metrics`, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c) => (body += c));
      r.on('end', () => {
        const line = body.split('\n').find((l) => l.startsWith(`${name} `));
        res(line ? Number(line.split(' ')[1]) : undefined);
      });
    })
      .on('error', rej)
      .end();
  });
}

async function take<T>(it: AsyncIterable<T>, n: number, timeoutMs = 5000): Promise<T[]> {
  const out: T[] = [];
  const deadline = setTimeout(() => {}, timeoutMs);
  try {
    const iter = it[Symbol.asyncIterator]();
    while (out.length < n) {
      const r = await Promise.race([
        iter.next(),
        new Promise<never>((_, rej) =>
          setTimeout(() => rej(new Error(`timed out after ${out.length} items`)), timeoutMs).unref(),
        ),
      ]);
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

describe('watch against a real server', () => {
  let cluster: TestCluster;
  let client: Client;
  before(async () => {
    // Progress notifications every 200 ms instead of etcd's default 10 minutes.
    cluster = await TestCluster.start({ args: ['--experimental-watch-progress-notify-interval', '200ms'] });
    client = new Client({ endpoints: cluster.endpoints, defaultTimeout: 5000 });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('async iterator: puts and deletes in order, with prevKv', async () => {
    const w = await client.watch('w1/', { prefix: true, prevKv: true });
    const p1 = await client.put('w1/a', '1');
    await client.put('w1/a', '2');
    await client.put('w1/b', '3');
    await client.delete('w1/a');
    const evs = await take(w, 4);
    assert.deepEqual(
      evs.map((e) => [e.type, e.kv.keyString, e.kv.valueString, e.prevKv?.valueString]),
      [
        ['put', 'w1/a', '1', undefined],
        ['put', 'w1/a', '2', '1'],
        ['put', 'w1/b', '3', undefined],
        ['delete', 'w1/a', '', '2'],
      ],
    );
    assert.equal(evs[0].kv.modRevision, p1.header.revision);
    assert.deepEqual(
      evs.map((e) => e.kv.modRevision),
      [0, 1, 2, 3].map((d) => p1.header.revision + d),
    );
    await w.cancel();
    assert.equal(w.isEnded, true);
  });

  test('event emitter with a noDelete filter; cancel ends an iterator', async () => {
    const w = await client.watch('w2/k', { filters: { noDelete: true } });
    const seen: string[] = [];
    const done = new Promise<void>((r) =>
      w.on('put', (e) => {
        seen.push(e.kv.valueString);
        if (seen.length === 2) r();
      }),
    );
    w.on('delete', () => seen.push('DELETE'));
    await client.put('w2/k', 'x');
    await client.delete('w2/k');
    await client.put('w2/k', 'y');
    await done;
    assert.deepEqual(seen, ['x', 'y']);
    const iterDone = (async () => {
      const got: WatchEvent[] = [];
      for await (const e of w) got.push(e);
      return got;
    })();
    await w.cancel();
    await iterDone;
  });

  test('many watchers share one stream', async () => {
    const before = await metric(cluster.endpoints[0], 'etcd_debugging_mvcc_watch_stream_total');
    const ws = await Promise.all(Array.from({ length: 20 }, (_, i) => client.watch(`w3/${i}`)));
    for (let i = 0; i < 20; i++) await client.put(`w3/${i}`, String(i));
    for (let i = 0; i < 20; i++) {
      const [e] = await take(ws[i], 1);
      assert.equal(e.kv.valueString, String(i));
    }
    const during = await metric(cluster.endpoints[0], 'etcd_debugging_mvcc_watch_stream_total');
    if (before !== undefined && during !== undefined)
      assert.ok(during - before <= 1, `${before} -> ${during}`);
    await Promise.all(ws.map((w) => w.cancel()));
  });

  test('startRevision replays history', async () => {
    const a = await client.put('w4/k', 'a');
    await client.put('w4/k', 'b');
    await client.put('w4/k', 'c');
    const w = await client.watch('w4/k', { startRevision: a.header.revision });
    const evs = await take(w, 3);
    assert.deepEqual(
      evs.map((e) => e.kv.valueString),
      ['a', 'b', 'c'],
    );
    await w.cancel();
  });

  test('a watch from a compacted revision fails with the compact revision', async () => {
    const a = await client.put('w5/k', 'a');
    const b = await client.put('w5/k', 'b');
    await client.compact(b.header.revision);
    // etcd first confirms the watcher, then cancels it with the compact revision.
    const w = await client.watch('w5/k', { startRevision: a.header.revision });
    await assert.rejects(take(w, 1), (e: unknown) => {
      assert.ok(e instanceof CompactedError);
      assert.equal(e.compactRevision, b.header.revision);
      return true;
    });
    assert.ok(w.error instanceof CompactedError);
  });

  test('progress request and progress notify', async () => {
    const w = await client.watch('w6/k', { progressNotify: true });
    const put = await client.put('other/key', 'v');
    const progress = new Promise<number>((r) => w.once('progress', (h) => r(h.revision)));
    client.requestWatchProgress();
    assert.ok((await progress) >= put.header.revision);
    await w.cancel();
  });

  test('periodic progress notifications advance the resume revision of an idle watcher', async () => {
    const w = await client.watch('w9/k', { progressNotify: true });
    const put = await client.put('w9/unrelated', 'v');
    const deadline = Date.now() + 5000;
    let seen = 0;
    w.on('progress', (h) => (seen = Math.max(seen, h.revision)));
    while (seen < put.header.revision && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(seen >= put.header.revision, `progress at ${seen}`);
    assert.ok(w.nextRevision > put.header.revision);
    await w.cancel();
  });

  test('AbortSignal cancels a watcher', async () => {
    const ac = new AbortController();
    const w = await client.watch('w7/k', { signal: ac.signal });
    const ended = new Promise<void>((r) => w.once('end', r));
    ac.abort();
    await ended;
    assert.equal(w.isEnded, true);
  });

  test('a member restart mid-stream: resumes with no gap and no duplicate', async () => {
    const w = await client.watch('w8/', { prefix: true });
    const got: number[] = [];
    w.on('put', (e) => got.push(Number(e.kv.valueString)));
    for (let i = 0; i < 10; i++) await client.put(`w8/${i % 3}`, String(i));
    await cluster.kill(0);
    await cluster.restart(0);
    for (let i = 10; i < 20; i++) await client.put(`w8/${i % 3}`, String(i), { retryWrite: true });
    const deadline = Date.now() + 10_000;
    while (got.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => i),
    );
    await w.cancel();
  });
});

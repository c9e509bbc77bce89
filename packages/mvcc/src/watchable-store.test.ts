import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Backend } from './backend';
import { tempDir } from './test-dir';
import { WatchableStore, type WatchResponse, type WatchStream } from './watchable-store';

const b = (s: string): Buffer => Buffer.from(s);
const str = (u: Uint8Array): string => Buffer.from(u).toString();
const ZERO = Buffer.from([0]);

async function nextWithin(stream: WatchStream, ms = 2000): Promise<WatchResponse> {
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no watch response in time')), ms).unref(),
  );
  const r = await Promise.race([stream.next(), timer]);
  assert.ok(r, 'stream closed');
  return r;
}

/** Collects events until `count` events arrived. */
async function events(stream: WatchStream, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const r = await nextWithin(stream);
    for (const ev of r.events)
      out.push(
        `${ev.type} ${str(ev.kv.key)}@${ev.kv.modRevision}${ev.type === 'PUT' ? `=${str(ev.kv.value)}` : ''}`,
      );
  }
  return out;
}

describe('WatchableStore', () => {
  const dir = tempDir();
  let n = 0;
  const fresh = async (opts = {}) => WatchableStore.open(await Backend.open(`${dir.path}/${n++}`), opts);
  after(() => dir.remove());

  test('watch from the current revision gets new events of its key or range', async () => {
    const s = await fresh();
    s.put({ key: b('before'), value: b('x') });
    const ws = s.newWatchStream();
    const one = ws.watch({ key: b('a') });
    const range = ws.watch({ key: b('a'), rangeEnd: b('c') });
    assert.notEqual(one, range);
    s.put({ key: b('a'), value: b('1') }); // 3
    s.put({ key: b('b'), value: b('2') }); // 4
    s.put({ key: b('z'), value: b('3') }); // 5 (nobody watches)
    s.deleteRange({ key: b('a') }); // 6
    const got: Record<number, string[]> = { [one]: [], [range]: [] };
    for (let i = 0; i < 5; i++) {
      const r = await nextWithin(ws);
      assert.equal(r.events.length, 1);
      const ev = r.events[0];
      assert.equal(r.revision, ev.kv.modRevision);
      got[r.watchId].push(`${ev.type} ${str(ev.kv.key)}@${ev.kv.modRevision}`);
    }
    assert.deepEqual(got[one], ['PUT a@3', 'DELETE a@6']);
    assert.deepEqual(got[range], ['PUT a@3', 'PUT b@4', 'DELETE a@6']);
    assert.equal(ws.tryNext(), undefined);
    await s.close();
  });

  test('watch from a past revision replays history, then follows live writes without gap or duplicate', async () => {
    const s = await fresh();
    for (let i = 0; i < 20; i++) s.put({ key: b(`k${i % 3}`), value: b(`${i}`) }); // revs 2..21
    s.commit(1);
    s.put({ key: b('k1'), value: b('uncommitted') }); // 22, still only in memory
    const ws = s.newWatchStream();
    ws.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 10 });
    s.put({ key: b('k2'), value: b('live') }); // 23
    const got = await events(ws, 14);
    const revs = got.map((e) => Number(e.split('@')[1].split('=')[0]));
    assert.deepEqual(
      revs,
      Array.from({ length: 14 }, (_, i) => 10 + i),
    );
    assert.equal(got[12], 'PUT k1@22=uncommitted');
    assert.equal(got[13], 'PUT k2@23=live');
    s.put({ key: b('k0'), value: b('after') }); // 24
    assert.deepEqual(await events(ws, 1), ['PUT k0@24=after']);
    await s.close();
  });

  test('one txn is one response; prev_kv and filters', async () => {
    const s = await fresh();
    s.put({ key: b('a'), value: b('old') }); // 2
    const ws = s.newWatchStream();
    const all = ws.watch({ key: ZERO, rangeEnd: ZERO, prevKv: true });
    const noPut = ws.watch({ key: ZERO, rangeEnd: ZERO, noPut: true });
    s.txn({ success: [{ put: { key: b('a'), value: b('new') } }, { put: { key: b('b'), value: b('1') } }] }); // 3
    s.deleteRange({ key: b('a') }); // 4
    const r1 = await nextWithin(ws);
    assert.equal(r1.watchId, all);
    assert.equal(r1.events.length, 2);
    assert.equal(str(r1.events[0].prevKv?.value ?? b('')), 'old');
    assert.equal(r1.events[1].prevKv, undefined);
    const r2 = await nextWithin(ws);
    assert.equal(r2.watchId, all);
    assert.equal(r2.events[0].type, 'DELETE');
    assert.equal(str(r2.events[0].prevKv?.value ?? b('')), 'new');
    const r3 = await nextWithin(ws);
    assert.deepEqual([r3.watchId, r3.events.length, r3.events[0].type], [noPut, 1, 'DELETE']);
    // a txn that deletes a key and creates it again: the create carries no prev_kv (etcd: isCreateEvent)
    s.put({ key: b('c'), value: b('1') }); // 5
    s.txn({
      success: [{ deleteRange: { key: b('c'), rangeEnd: ZERO } }, { put: { key: b('c'), value: b('2') } }],
    }); // 6
    const r4 = await nextWithin(ws);
    assert.equal(r4.events[0].prevKv, undefined);
    const r5 = await nextWithin(ws);
    assert.deepEqual(
      r5.events.map((e) => [e.type, e.prevKv === undefined]),
      [
        ['DELETE', false],
        ['PUT', true],
      ],
    );
    await s.close();
  });

  test('a start revision below the compaction is reported with the compact revision and canceled', async () => {
    const s = await fresh();
    for (let i = 0; i < 10; i++) s.put({ key: b('k'), value: b(`${i}`) }); // 2..11
    s.commit(1);
    const done = s.compact(8);
    s.commit(2);
    await done;
    const ws = s.newWatchStream();
    const id = ws.watch({ key: b('k'), startRevision: 5 });
    const r = await nextWithin(ws);
    assert.deepEqual([r.watchId, r.compactRevision, r.canceled, r.events.length], [id, 8, true, 0]);
    // a start at compact revision + 1 works
    ws.watch({ key: b('k'), startRevision: 9 });
    assert.deepEqual(await events(ws, 3), ['PUT k@9=7', 'PUT k@10=8', 'PUT k@11=9']);
    await s.close();
  });

  test('future start revision, chosen ids, cancel and progress', async () => {
    const s = await fresh();
    const ws = s.newWatchStream();
    const id = ws.watch({ key: b('k'), startRevision: 4, watchId: 7 });
    assert.equal(id, 7);
    assert.throws(() => ws.watch({ key: b('x'), watchId: 7 }), /duplicate watch ID/);
    // a range holding no key is refused; "\0" means every key >= key
    assert.throws(() => ws.watch({ key: b('b'), rangeEnd: b('a') }), /mvcc: watcher range is empty/);
    assert.throws(() => ws.watch({ key: b('b'), rangeEnd: b('b') }), /mvcc: watcher range is empty/);
    assert.equal(ws.watch({ key: b('x') }), 0);
    s.put({ key: b('k'), value: b('2') }); // 2: before the start revision
    s.put({ key: b('k'), value: b('3') }); // 3
    s.put({ key: b('k'), value: b('4') }); // 4
    assert.deepEqual(await events(ws, 1), ['PUT k@4=4']);
    assert.equal(ws.requestProgress(7), true);
    const p = await nextWithin(ws);
    assert.deepEqual([p.watchId, p.events.length, p.revision], [7, 0, 4]);
    assert.equal(ws.cancel(7), true);
    assert.equal(ws.cancel(7), false);
    s.put({ key: b('k'), value: b('5') });
    s.put({ key: b('x'), value: b('1') });
    const r = await nextWithin(ws);
    assert.deepEqual([r.watchId, str(r.events[0].kv.key)], [0, 'x']);
    assert.deepEqual(s.watcherCounts(), { synced: 1, unsynced: 0, victims: 0 });
    ws.close();
    assert.deepEqual(s.watcherCounts(), { synced: 0, unsynced: 0, victims: 0 });
    assert.equal(await ws.next(), undefined);
    await s.close();
  });

  test('a slow consumer becomes a victim without blocking writers, then catches up with no gap', async () => {
    const s = await fresh({ streamCapacity: 2, syncRevisions: 16 });
    const slow = s.newWatchStream();
    const fast = s.newWatchStream();
    slow.watch({ key: b('k'), rangeEnd: b('l') });
    fast.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 1 });
    const fastSeen: string[] = [];
    // 200 writes in one go: the slow stream takes nothing meanwhile
    for (let i = 0; i < 200; i++) s.put({ key: b(`k${i % 5}`), value: b(`${i}`) });
    assert.equal(s.rev, 201);
    const counts = s.watcherCounts();
    assert.equal(counts.victims >= 1, true, 'the slow watcher should be a victim');
    assert.equal(slow.pending, 2);
    // fast consumer drains concurrently
    const fastDone = (async () => {
      while (fastSeen.length < 200) {
        const r = await nextWithin(fast);
        for (const ev of r.events) fastSeen.push(`${ev.kv.modRevision}`);
      }
    })();
    const slowSeen: number[] = [];
    while (slowSeen.length < 200) {
      const r = await nextWithin(slow);
      for (const ev of r.events) slowSeen.push(ev.kv.modRevision);
      // write more while it catches up
      if (slowSeen.length >= 50 && s.rev === 201) s.put({ key: b('k9'), value: b('late') });
      if (slowSeen.length >= 200) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    while (slowSeen.length < 201) {
      const r = await nextWithin(slow);
      for (const ev of r.events) slowSeen.push(ev.kv.modRevision);
    }
    assert.deepEqual(
      slowSeen,
      Array.from({ length: 201 }, (_, i) => i + 2),
    );
    await fastDone;
    assert.deepEqual(
      fastSeen.slice(0, 200),
      Array.from({ length: 200 }, (_, i) => `${i + 2}`),
    );
    assert.deepEqual(s.watcherCounts(), { synced: 2, unsynced: 0, victims: 0 });
    await s.close();
  });
});

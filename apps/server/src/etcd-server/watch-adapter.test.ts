import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { mvccpb } from '@kv/api-proto';
import { Backend, WatchableStore } from '@kv/mvcc';
import { WatchAdapter } from './watch-adapter.js';

const b = (s: string) => Buffer.from(s);
const waitFor = async (cond: () => boolean) => {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('watchers move to a new store (snapshot install) without gap or duplicate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'watch-rebind-'));
  const a = await WatchableStore.open(await Backend.open(join(dir, 'a')));
  const seen: number[] = [];
  const adapter = new WatchAdapter(
    a.newWatchStream(),
    {
      onEvents: (_id, evs: mvccpb.IEvent[]) => {
        for (const e of evs) seen.push(Number(e.kv!.modRevision));
      },
      onCompacted: () => {},
      onProgress: () => {},
    },
    () => ({}),
    0,
    () => a.rev,
    () => {},
  );
  adapter.watch({
    watchId: 0,
    key: b('k'),
    rangeEnd: Buffer.alloc(0),
    startRevision: 0,
    prevKv: false,
    noPut: false,
    noDelete: false,
    progressNotify: false,
  });
  a.put({ key: b('k'), value: b('1') });
  a.put({ key: b('k'), value: b('2') });
  await waitFor(() => seen.length === 2);
  // The new store has the same history and more (what a leader's snapshot brings).
  const s2 = await WatchableStore.open(await Backend.open(join(dir, 'b')));
  for (const v of ['1', '2', '3', '4']) s2.put({ key: b('k'), value: b(v) });
  await a.close();
  adapter.rebind(s2.newWatchStream());
  await waitFor(() => seen.length === 4);
  s2.put({ key: b('k'), value: b('5') });
  await waitFor(() => seen.length === 5);
  assert.deepEqual(seen, [2, 3, 4, 5, 6]);
  adapter.close();
  await s2.close();
  rmSync(dir, { recursive: true, force: true });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyIndex } from './key-index';
import { NO_END, TreeIndex } from './tree-index';

test('tree index: ordered ranges, limits and head counts across many leaves', () => {
  const idx = new TreeIndex();
  const live = new Map<string, number>();
  let rev = 1;
  let seed = 99;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 6000; i++) {
    const k = `k${String(rand() % 3000).padStart(5, '0')}`;
    rev++;
    if (rand() % 4 === 0 && live.has(k)) {
      assert.equal(idx.tombstone(k, rev, 0), true);
      live.delete(k);
    } else {
      idx.put(k, rev, 0);
      live.set(k, rev);
    }
  }
  assert.equal(idx.tombstone('absent', rev + 1, 0), false);
  const sorted = [...live.keys()].sort();
  for (let q = 0; q < 200; q++) {
    const a = `k${String(rand() % 3100).padStart(5, '0')}`;
    const b = q % 5 === 0 ? NO_END : `k${String(rand() % 3100).padStart(5, '0')}`;
    const limit = rand() % 3 === 0 ? 0 : 1 + (rand() % 50);
    const want = sorted.filter((k) => k >= a && k < b);
    for (const head of [true, false]) {
      const { hits, total } = idx.range(a, b, rev, limit, head);
      assert.equal(total, want.length, `count [${a}, ${b}) head=${head}`);
      assert.deepEqual(
        hits.map((h) => h.ki.key),
        limit === 0 ? want : want.slice(0, limit),
      );
      assert.deepEqual(
        hits.map((h) => h.modMain),
        hits.map((h) => live.get(h.ki.key)),
      );
    }
    assert.equal(idx.range(a, b, rev, -1, true).total, want.length);
  }
  // compaction keeps live keys and their counts
  idx.compact(rev);
  assert.equal(idx.range('', NO_END, rev, 1, true).total, live.size);
  assert.equal(idx.size, live.size);
});

test('key index: generations, versions and compaction as etcd keeps them', () => {
  const ki = new KeyIndex('k');
  ki.put(2, 0);
  ki.put(4, 0);
  ki.tombstone(6, 0);
  ki.put(8, 0);
  ki.put(10, 1);
  assert.equal(ki.get(1), undefined);
  assert.deepEqual(ki.get(5), { modMain: 4, modSub: 0, createMain: 2, version: 2 });
  assert.equal(ki.get(6), undefined);
  assert.equal(ki.get(7), undefined);
  assert.deepEqual(ki.get(10), { modMain: 10, modSub: 1, createMain: 8, version: 2 });
  const keep = new Set<string>();
  ki.compact(5, keep);
  assert.deepEqual([...keep], ['4_0']);
  assert.equal(ki.get(5)?.modMain, 4);
  keep.clear();
  // at 7 the first generation is over (tombstone at 6): it goes away entirely
  ki.compact(7, keep);
  assert.deepEqual([...keep], []);
  assert.equal(ki.generations.length, 1);
  keep.clear();
  ki.compact(9, keep);
  assert.deepEqual([...keep], ['8_0']);
  ki.tombstone(12, 0);
  keep.clear();
  ki.compact(12, keep);
  assert.equal(ki.isEmpty(), true);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TimerEntry, TimerQueue } from './timer-queue.js';

// A seeded generator keeps the random sequence reproducible.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('pops in deadline order across pushes, updates and removals', () => {
  const rand = rng(7);
  const q = new TimerQueue<number>();
  const live = new Map<number, TimerEntry<number>>();
  for (let i = 0; i < 5000; i++) {
    const r = rand();
    if (r < 0.5 || live.size === 0) live.set(i, q.push(i, Math.floor(rand() * 1000)));
    else {
      const keys = [...live.keys()];
      const k = keys[Math.floor(rand() * keys.length)];
      const e = live.get(k)!;
      if (r < 0.8) q.update(e, Math.floor(rand() * 1000));
      else {
        q.remove(e);
        assert.equal(e.index, -1);
        live.delete(k);
      }
    }
  }
  assert.equal(q.size, live.size);
  const expected = [...live.values()].map((e) => e.at).sort((a, b) => a - b);
  const got: number[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) got.push(e.at);
  assert.deepEqual(got, expected);
});

test('remove is a no-op for an entry that already left; clear detaches all', () => {
  const q = new TimerQueue<string>();
  const a = q.push('a', 5);
  const b = q.push('b', 3);
  assert.equal(q.peek()?.value, 'b');
  q.remove(b);
  q.remove(b);
  assert.equal(q.size, 1);
  assert.equal(q.peek(), a);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(a.index, -1);
  assert.equal(q.pop(), undefined);
});

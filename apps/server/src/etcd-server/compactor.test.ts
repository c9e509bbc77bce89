import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoCompactor, parseRetention } from './compactor.js';

test('retention parsing', () => {
  assert.equal(parseRetention('periodic', '1'), 3_600_000);
  assert.equal(parseRetention('periodic', '5m'), 300_000);
  assert.equal(parseRetention('revision', '1000'), 1000);
  assert.throws(() => parseRetention('revision', '5m'));
});

test('periodic mode compacts to the revision seen one retention ago; revision mode keeps N', () => {
  let rev = 10;
  const done: number[] = [];
  const deps = {
    rev: () => rev,
    isLeader: () => true,
    compact: async (r: number) => void done.push(r),
    log() {},
  };
  const p = new AutoCompactor('periodic', 1000, deps);
  p.tick(0);
  rev = 20;
  p.tick(500);
  rev = 30;
  p.tick(1000);
  assert.deepEqual(done, [10]);
  rev = 40;
  p.tick(1600);
  assert.deepEqual(done, [10, 20]);
  const r = new AutoCompactor('revision', 5, deps);
  rev = 100;
  r.tick();
  r.tick();
  assert.deepEqual(done, [10, 20, 95]);
});

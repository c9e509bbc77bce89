import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hotFlags } from './hot-flags';
import { hotFlagTable } from './oclif/hot-table';

test('hot-flags.ts is what the oclif declarations give (run scripts/gen-hot-flags.mjs after changing them)', () => {
  assert.deepEqual(hotFlags, JSON.parse(JSON.stringify(hotFlagTable())));
});

test('the fast path knows every flag etcdctl has for get, put and del', () => {
  assert.deepEqual(Object.keys(hotFlags.commands.put).sort(), [
    'ignore-lease',
    'ignore-value',
    'lease',
    'prev-kv',
  ]);
  assert.equal(hotFlags.globals['write-out'].char, 'w');
  assert.equal(hotFlags.globals['insecure-transport'].default, true);
});

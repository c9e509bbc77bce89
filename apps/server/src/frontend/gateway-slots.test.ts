import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewaySlots } from './gateway-slots';

test('gateway slots: calls beyond the limit wait in order and start as earlier ones end', async () => {
  const slots = new GatewaySlots(2);
  const a = slots.acquire();
  const b = slots.acquire();
  assert.equal(typeof a, 'function');
  assert.equal(typeof b, 'function');
  const started: string[] = [];
  const c = Promise.resolve(slots.acquire()).then((r) => (started.push('c'), r));
  const d = Promise.resolve(slots.acquire()).then((r) => (started.push('d'), r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, []);
  (a as () => void)();
  (a as () => void)(); // a second release of the same slot frees nothing more
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, ['c']);
  (b as () => void)();
  const releaseD = await d;
  assert.deepEqual(started, ['c', 'd']);
  releaseD();
  (await c)();
  // all four ended: two fresh calls start at once
  assert.equal(typeof slots.acquire(), 'function');
  assert.equal(typeof slots.acquire(), 'function');
});

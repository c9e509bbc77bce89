import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdError } from '../errors.js';
import { ProposalWaiters } from './wait.js';

test('abandon fails only proposals made in terms before the new leader', async () => {
  const w = new ProposalWaiters();
  const old = w.register(1n, Number.POSITIVE_INFINITY, 3);
  const current = w.register(2n, Number.POSITIVE_INFINITY, 4);
  const noTerm = w.register(3n);
  const n = w.abandon(4, () => ({ err: etcdError('TimeoutDueToLeaderFail') }));
  assert.equal(n, 1);
  assert.equal(
    (await old).err?.message,
    'etcdserver: request timed out, possibly due to previous leader failure',
  );
  assert.equal(w.size, 2);
  w.trigger(2n, { resp: 'ok' } as never);
  assert.equal((await current).resp, 'ok');
  w.failAll(new Error('stop'));
  assert.equal((await noTerm).err?.message, 'stop');
});

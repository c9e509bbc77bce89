import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeartbeatTiming } from './heartbeat-timing';

test('late heartbeats count as send failures; answers time the newest heartbeat; a leader change forgets', () => {
  let late = 0;
  const rtts = new Map<bigint, number[]>();
  const t = new HeartbeatTiming(100, {
    late: () => late++,
    roundTrip: (peer) => {
      const seen: number[] = [];
      rtts.set(peer, seen);
      return { observe: (s) => seen.push(s) };
    },
  });
  t.sent(2n, 0);
  t.answered(2n, 3);
  t.sent(2n, 100);
  t.sent(2n, 250); // 150 ms after the previous: on time (etcd's limit is twice the interval)
  t.answered(2n, 252);
  t.answered(2n, 260); // no heartbeat waiting: nothing to time
  assert.equal(late, 0);
  t.sent(2n, 500); // 250 ms gap
  assert.equal(late, 1);
  t.sent(3n, 510);
  t.answered(3n, 530);
  assert.deepEqual(rtts.get(2n), [0.003, 0.002]);
  assert.deepEqual(rtts.get(3n), [0.02]);
  t.reset();
  t.sent(2n, 5000); // first heartbeat of a new term: no gap to judge
  assert.equal(late, 1);
  t.answered(2n, 5001);
  assert.equal(rtts.get(2n)!.length, 3);
});

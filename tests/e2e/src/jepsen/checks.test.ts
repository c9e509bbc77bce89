import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AppendResult, checkAppend } from './append-workload';
import { checkWatch, type WatchEvent } from './watch-check';

function result(): AppendResult {
  // Two acknowledged appends (x then y), one rejected (z), one unknown (w); reads along the way.
  return {
    setPrefix: 'jepsen/set/',
    listKeys: ['L'],
    setAcked: new Map([['jepsen/set/a', 5]]),
    setUnknown: new Set(['jepsen/set/b']),
    appends: [
      { key: 'L', elem: 'x', base: 0, call: 0, ret: 10, ok: true },
      { key: 'L', elem: 'y', base: 1, call: 20, ret: 30, ok: true },
      { key: 'L', elem: 'z', base: 1, call: 21, ret: 31, ok: false },
      { key: 'L', elem: 'w', base: 2, call: 40, ret: Infinity, ok: undefined },
    ],
    reads: [
      { key: 'L', list: ['x'], call: 15, ret: 16, serializable: false },
      { key: 'L', list: ['x', 'y'], call: 35, ret: 36, serializable: false },
    ],
    counts: { setOk: 1, setUnknown: 1, appendOk: 2, appendRejected: 1, appendUnknown: 1, readFailed: 0 },
  };
}
const finalSet = () => new Map([['jepsen/set/a', 5]]);

describe('set/append checker', () => {
  it('accepts a history that respects every rule, with or without the unknown append', () => {
    assert.deepEqual(checkAppend(result(), finalSet(), new Map([['L', ['x', 'y']]])).problems, []);
    assert.deepEqual(checkAppend(result(), finalSet(), new Map([['L', ['x', 'y', 'w']]])).problems, []);
  });
  it('catches a lost, a misplaced, a rejected-but-present, a duplicate and a phantom element', () => {
    const bad = (l: string[]) => checkAppend(result(), finalSet(), new Map([['L', l]])).problems;
    assert.match(bad(['x']).join(), /append y onto a list of 1 is lost/);
    assert.match(bad(['y', 'x']).join(), /append x onto a list of 0 is at index 1/);
    assert.match(bad(['x', 'y', 'z']).join(), /rejected append z is present/);
    assert.match(bad(['x', 'y', 'y']).join(), /appears twice/);
    assert.match(bad(['x', 'y', 'q']).join(), /q was never appended/);
  });
  it('catches a stale linearizable read but only counts a stale serializable one', () => {
    const r = result();
    r.reads.push({ key: 'L', list: ['x'], call: 50, ret: 51, serializable: true });
    const ok = checkAppend(r, finalSet(), new Map([['L', ['x', 'y']]]));
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.staleSerializable, 1);
    r.reads.push({ key: 'L', list: ['x'], call: 52, ret: 53, serializable: false });
    assert.match(
      checkAppend(r, finalSet(), new Map([['L', ['x', 'y']]])).problems.join(),
      /STALE linearizable read/,
    );
  });
  it('catches a read that is not a prefix of the final list (a lost or rewritten history)', () => {
    const r = result();
    r.reads.push({ key: 'L', list: ['x', 'v'], call: 60, ret: 61, serializable: true });
    assert.match(checkAppend(r, finalSet(), new Map([['L', ['x', 'y']]])).problems.join(), /not a prefix/);
  });
  it('catches a lost set put, one at another revision, and a phantom key', () => {
    const p = (m: Map<string, number>) =>
      checkAppend(result(), m, new Map([['L', ['x', 'y']]])).problems.join();
    assert.match(p(new Map()), /put jepsen\/set\/a \(rev 5\) lost/);
    assert.match(p(new Map([['jepsen/set/a', 6]])), /mod_revision 6/);
    assert.match(p(new Map([...finalSet(), ['jepsen/set/c', 9]])), /never attempted/);
    assert.equal(p(new Map([...finalSet(), ['jepsen/set/b', 9]])), '');
  });
});

describe('watch checker', () => {
  const ev = (rev: number, key = `k${rev}`): WatchEvent => ({ rev, type: 'Put', key, value: `v${rev}` });
  const ref = [ev(2), ev(3), ev(4), ev(5)];
  it('accepts the same events', () => {
    assert.deepEqual(checkWatch([...ref], ref, 5), []);
  });
  it('catches a gap, a duplicate, a reordering and a truncation', () => {
    assert.match(checkWatch([ev(2), ev(4), ev(5)], ref, 5).join(), /first difference at event 1/);
    assert.match(checkWatch([ev(2), ev(3), ev(3), ev(4), ev(5)], ref, 5).join(), /delivered twice/);
    assert.match(checkWatch([ev(2), ev(4), ev(3), ev(5)], ref, 5).join(), /reordered/);
    assert.match(checkWatch([ev(2), ev(3)], ref, 5).join(), /first missing: 4/);
  });
});

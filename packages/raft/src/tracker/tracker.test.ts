import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inflights } from './inflights.js';
import { Progress, ProgressState } from './progress.js';

describe('Inflights', () => {
  it('fills up to its size, frees by index, and wraps around', () => {
    const f = new Inflights(4);
    for (const i of [1, 2, 3, 4]) f.add(i);
    assert.equal(f.full(), true);
    assert.throws(() => f.add(5));
    f.freeLE(2);
    assert.equal(f.count, 2);
    f.add(5);
    f.add(6);
    assert.equal(f.full(), true);
    f.freeLE(5);
    assert.equal(f.count, 1);
    f.freeFirstOne();
    assert.equal(f.count, 0);
  });

  it('is full when its byte budget is used up', () => {
    const f = new Inflights(100, 1000);
    f.add(1, 600);
    assert.equal(f.full(), false);
    f.add(2, 500);
    assert.equal(f.full(), true);
    f.freeLE(1);
    assert.equal(f.full(), false);
    assert.equal(f.totalBytes, 500);
  });
});

describe('Progress', () => {
  it('probe state sends one append, then pauses until an answer', () => {
    const p = new Progress(5, 10, 0, false);
    assert.equal(p.isPaused(), false);
    p.sentEntries(2, 6, 0);
    assert.equal(p.isPaused(), true);
    assert.equal(p.maybeUpdate(6), true);
    assert.equal(p.isPaused(), false);
  });

  it('replicate state sends optimistically up to the inflight window', () => {
    const p = new Progress(1, 2, 0, false);
    p.becomeReplicate();
    p.sentEntries(1, 1, 0);
    assert.equal(p.next, 2);
    assert.equal(p.isPaused(), false);
    p.sentEntries(1, 2, 0);
    assert.equal(p.isPaused(), true);
    p.maybeUpdate(1);
    p.inflights.freeLE(1);
    p.sentEntries(0, 2, 0);
    assert.equal(p.isPaused(), false);
  });

  it('maybeDecrTo ignores stale rejections and uses the hint', () => {
    const p = new Progress(11, 10, 0, false);
    p.match = 3;
    assert.equal(p.maybeDecrTo(5, 5), false); // probe for 10 is outstanding; 5 is stale
    assert.equal(p.maybeDecrTo(10, 6), true);
    assert.equal(p.next, 7);
    p.becomeReplicate();
    assert.equal(p.maybeDecrTo(2, 2), false);
    assert.equal(p.maybeDecrTo(8, 2), true);
    assert.equal(p.next, 4);
  });

  it('snapshot state pauses and resumes after the snapshot', () => {
    const p = new Progress(3, 10, 0, false);
    p.becomeSnapshot(20);
    assert.equal(p.state, ProgressState.StateSnapshot);
    assert.equal(p.isPaused(), true);
    p.becomeProbe();
    assert.equal(p.next, 21);
  });
});

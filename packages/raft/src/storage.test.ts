import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
import { MemoryStorage } from './storage.js';
import { EMPTY, type Entry, EntryType, emptyConfState } from './types.js';

const ent = (term: number, index: number, size = 0): Entry => ({
  term,
  index,
  type: EntryType.EntryNormal,
  data: size ? new Uint8Array(size) : EMPTY,
});

function storage345(): MemoryStorage {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(1, 2), ent(2, 3), ent(3, 4), ent(3, 5)]);
  s.createSnapshot(2, undefined, EMPTY);
  s.compact(2);
  return s;
}

describe('MemoryStorage', () => {
  it('reports first and last index around a compacted prefix', () => {
    const s = storage345();
    assert.equal(s.firstIndex(), 3);
    assert.equal(s.lastIndex(), 5);
  });

  it('answers term for the dummy entry and throws outside the log', () => {
    const s = storage345();
    assert.equal(s.term(2), 1);
    assert.equal(s.term(5), 3);
    assert.throws(() => s.term(1), ErrCompacted);
    assert.throws(() => s.term(6), ErrUnavailable);
  });

  it('returns entry ranges limited by size but never empty', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 10), ent(1, 2, 10), ent(1, 3, 10)]);
    assert.equal(s.entries(1, 4, Number.MAX_SAFE_INTEGER).length, 3);
    assert.equal(s.entries(1, 4, 0).length, 1);
    assert.equal(s.entries(1, 4, 60).length, 2);
    assert.throws(() => storage345().entries(2, 4, 100), ErrCompacted);
  });

  it('append truncates a conflicting suffix and ignores compacted entries', () => {
    const s = storage345();
    s.append([ent(4, 4), ent(4, 5), ent(4, 6)]);
    assert.deepEqual(
      s.entries(3, 7, 1e9).map((e) => e.term),
      [2, 4, 4, 4],
    );
    s.append([ent(1, 1), ent(1, 2), ent(2, 3), ent(5, 4)]);
    assert.equal(s.lastIndex(), 4);
    assert.equal(s.term(4), 5);
    assert.throws(() => s.append([ent(5, 9)]));
  });

  it('creates, applies and refuses stale snapshots', () => {
    const s = storage345();
    const cs = { ...emptyConfState(), voters: [1n, 2n] };
    const snap = s.createSnapshot(4, cs, new Uint8Array([7]));
    assert.equal(snap.metadata.term, 3);
    assert.throws(() => s.createSnapshot(3, cs, EMPTY), ErrSnapOutOfDate);
    const t = new MemoryStorage();
    t.applySnapshot(snap);
    assert.equal(t.firstIndex(), 5);
    assert.equal(t.lastIndex(), 4);
    assert.equal(t.term(4), 3);
    assert.deepEqual(t.initialState().confState, cs);
    assert.throws(() => t.applySnapshot(snap), ErrSnapOutOfDate);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrCompacted } from './errors.js';
import { RaftLog } from './log.js';
import { MemoryStorage } from './storage.js';
import { EMPTY, type Entry, EntryType } from './types.js';

const ent = (term: number, index: number): Entry => ({
  term,
  index,
  type: EntryType.EntryNormal,
  data: EMPTY,
});
const terms = (l: RaftLog) => l.allEntries().map((e) => e.term);

function logWith(ents: Entry[]): RaftLog {
  const s = new MemoryStorage();
  s.append(ents);
  return new RaftLog(s);
}

describe('RaftLog', () => {
  it('findConflict finds the first missing or different entry', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    assert.equal(l.findConflict([]), 0);
    assert.equal(l.findConflict([ent(1, 1), ent(2, 2)]), 0);
    assert.equal(l.findConflict([ent(2, 2), ent(3, 3), ent(4, 4)]), 4);
    assert.equal(l.findConflict([ent(4, 2), ent(4, 3)]), 2);
  });

  it('findConflictByTerm skips every entry with a larger term', () => {
    const l = logWith([ent(1, 1), ent(1, 2), ent(4, 3), ent(4, 4), ent(5, 5)]);
    assert.equal(l.findConflictByTerm(5, 4), 4);
    assert.equal(l.findConflictByTerm(5, 3), 2);
    assert.equal(l.findConflictByTerm(5, 0), 0);
    assert.equal(l.findConflictByTerm(5, 9), 5);
  });

  it('maybeAppend checks the previous entry, truncates conflicts, and commits no further than the new entries', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    assert.equal(l.maybeAppend(3, 2, 3, [ent(4, 4)]), undefined);
    assert.equal(l.maybeAppend(1, 1, 10, [ent(4, 2)]), 2);
    assert.deepEqual(terms(l), [1, 4]);
    assert.equal(l.committed, 2);
    assert.throws(() => l.maybeAppend(0, 0, 0, [ent(5, 1)]), /conflict with committed/);
  });

  it('maybeCommit only commits an index that holds an entry of the given term', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    assert.equal(l.maybeCommit(2, 3), false);
    assert.equal(l.maybeCommit(3, 3), true);
    assert.equal(l.committed, 3);
    assert.equal(l.maybeCommit(2, 2), false);
  });

  it('isUpToDate compares last term then last index', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    assert.equal(l.isUpToDate(2, 4), true);
    assert.equal(l.isUpToDate(3, 3), true);
    assert.equal(l.isUpToDate(2, 3), false);
    assert.equal(l.isUpToDate(9, 2), false);
  });

  it('serves unstable entries until they are marked stable, and hands out committed entries once', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1)]);
    const l = new RaftLog(s);
    l.append([ent(1, 2), ent(1, 3)]);
    assert.deepEqual(
      l.unstableEntries().map((e) => e.index),
      [2, 3],
    );
    s.append([l.unstableEntries()[0]]);
    l.stableTo(2, 1);
    assert.deepEqual(
      l.unstableEntries().map((e) => e.index),
      [3],
    );
    l.stableTo(3, 9); // wrong term: was replaced meanwhile, stays unstable
    assert.equal(l.unstableEntries().length, 1);
    l.commitTo(3);
    assert.deepEqual(
      l.nextCommittedEnts().map((e) => e.index),
      [1, 2, 3],
    );
    l.appliedTo(3);
    assert.deepEqual(l.nextCommittedEnts(), []);
    assert.throws(() => l.commitTo(4));
  });

  it('restore from a snapshot resets the log to after it', () => {
    const l = logWith([ent(1, 1)]);
    l.restore({
      data: EMPTY,
      metadata: {
        index: 10,
        term: 3,
        confState: { voters: [1n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      },
    });
    assert.equal(l.firstIndex(), 11);
    assert.equal(l.lastIndex(), 10);
    assert.equal(l.committed, 10);
    assert.equal(l.term(10), 3);
    assert.throws(() => l.slice(5, 6, 100), ErrCompacted);
  });
});

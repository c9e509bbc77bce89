import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrConfChange } from '../errors.js';
import { ProgressTracker } from '../tracker/tracker.js';
import { ConfChangeType, emptyConfState } from '../types.js';
import { Changer } from './changer.js';
import { restoreConfState } from './restore.js';

const add = (id: bigint) => ({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
const learner = (id: bigint) => ({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
const remove = (id: bigint) => ({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: id });

function tracker(voters: bigint[], learners: bigint[] = []): ProgressTracker {
  const t = new ProgressTracker(10);
  restoreConfState(t, 10, { ...emptyConfState(), voters, learners });
  return t;
}

function apply(
  t: ProgressTracker,
  r: { config: ProgressTracker['config']; progress: ProgressTracker['progress'] },
) {
  t.config = r.config;
  t.progress = r.progress;
  return t.confState();
}

describe('Changer', () => {
  it('simple changes add and remove one voter at a time', () => {
    const t = tracker([1n, 2n, 3n]);
    let cs = apply(t, new Changer(t, 10).simple([add(4n)]));
    assert.deepEqual(cs.voters, [1n, 2n, 3n, 4n]);
    assert.equal(t.progress.get(4n)!.next, 10);
    cs = apply(t, new Changer(t, 10).simple([remove(1n)]));
    assert.deepEqual(cs.voters, [2n, 3n, 4n]);
    assert.equal(t.progress.has(1n), false);
  });

  it('refuses to change two voters without a joint config, and removing every voter', () => {
    const t = tracker([1n, 2n, 3n]);
    assert.throws(() => new Changer(t, 10).simple([add(4n), add(5n)]), ErrConfChange);
    assert.throws(() => new Changer(t, 10).simple([remove(1n), remove(2n)]), ErrConfChange);
    const one = tracker([1n]);
    assert.throws(() => new Changer(one, 10).simple([remove(1n)]), /removed all voters/);
  });

  it('learners: add, promote, demote (a voter demoted in a joint config becomes a learner on leaving)', () => {
    const t = tracker([1n, 2n, 3n]);
    let cs = apply(t, new Changer(t, 10).simple([learner(4n)]));
    assert.deepEqual(cs.learners, [4n]);
    assert.equal(t.progress.get(4n)!.isLearner, true);
    cs = apply(t, new Changer(t, 10).enterJoint(false, [add(4n), learner(3n)]));
    assert.deepEqual(cs.voters, [1n, 2n, 4n]);
    assert.deepEqual(cs.votersOutgoing, [1n, 2n, 3n]);
    assert.deepEqual(cs.learnersNext, [3n]);
    assert.throws(() => new Changer(t, 10).simple([add(5n)]), /joint/);
    assert.throws(() => new Changer(t, 10).enterJoint(false, [add(5n)]), /already joint/);
    cs = apply(t, new Changer(t, 10).leaveJoint());
    assert.deepEqual(cs.voters, [1n, 2n, 4n]);
    assert.deepEqual(cs.votersOutgoing, []);
    assert.deepEqual(cs.learners, [3n]);
    assert.equal(t.progress.get(3n)!.isLearner, true);
  });

  it('a voter removed in a joint config keeps its progress until the config is left', () => {
    const t = tracker([1n, 2n, 3n]);
    apply(t, new Changer(t, 10).enterJoint(true, [remove(3n), add(4n)]));
    assert.equal(t.progress.has(3n), true);
    assert.equal(t.config.autoLeave, true);
    apply(t, new Changer(t, 10).leaveJoint());
    assert.equal(t.progress.has(3n), false);
    assert.throws(() => new Changer(t, 10).leaveJoint(), /non-joint/);
  });

  it('restores a joint ConfState exactly', () => {
    const t = new ProgressTracker(10);
    const cs = {
      voters: [1n, 2n, 4n],
      votersOutgoing: [1n, 2n, 3n],
      learners: [5n],
      learnersNext: [3n],
      autoLeave: true,
    };
    restoreConfState(t, 10, cs);
    assert.deepEqual(t.confState(), cs);
  });
});

// Rebuilds a tracker config from a ConfState (as found in a snapshot) by replaying it as changes.
import type { ProgressTracker } from '../tracker/tracker.js';
import { type ConfChangeSingle, ConfChangeType, type ConfState } from '../types.js';
import { type ChangeResult, Changer } from './changer.js';

function toConfChangeSingle(cs: ConfState): { out: ConfChangeSingle[]; in: ConfChangeSingle[] } {
  const out: ConfChangeSingle[] = [];
  const inc: ConfChangeSingle[] = [];
  // First build the outgoing config as if it were the only one, then enter the joint config with the
  // changes that turn it into the incoming one.
  for (const id of cs.votersOutgoing) out.push({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
  for (const id of cs.votersOutgoing) inc.push({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: id });
  for (const id of cs.voters) inc.push({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
  for (const id of cs.learners) inc.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
  for (const id of cs.learnersNext) inc.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
  return { out, in: inc };
}

/** Sets tracker's config and progress to those described by cs (the tracker should be empty). */
export function restoreConfState(tracker: ProgressTracker, lastIndex: number, cs: ConfState): ChangeResult {
  const { out, in: inc } = toConfChangeSingle(cs);
  const step = (f: (c: Changer) => ChangeResult) => {
    const r = f(new Changer(tracker, lastIndex));
    tracker.config = r.config;
    tracker.progress = r.progress;
  };
  if (out.length === 0) {
    for (const cc of inc) step((c) => c.simple([cc]));
  } else {
    for (const cc of out) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave, inc));
  }
  return { config: tracker.config, progress: tracker.progress };
}

// Membership change as a function from the old config (and progress) to the new one.
import { ErrConfChange } from '../errors.js';
import { Progress } from '../tracker/progress.js';
import {
  cloneProgressMap,
  cloneTrackerConfig,
  type ProgressMap,
  type ProgressTracker,
  type TrackerConfig,
} from '../tracker/tracker.js';
import {
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type NodeId,
} from '../types.js';

export interface ChangeResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

/** Does this change leave a joint config (an empty ConfChangeV2)? */
export function isLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.changes.length === 0;
}

/** Does this change enter a joint config, and if so, is it left automatically? */
export function enterJoint(cc: ConfChangeV2): { autoLeave: boolean } | undefined {
  if (cc.transition !== ConfChangeTransition.Auto || cc.changes.length > 1) {
    return { autoLeave: cc.transition !== ConfChangeTransition.JointExplicit };
  }
  return undefined;
}

function symdiff(a: Set<NodeId>, b: Set<NodeId>): number {
  let n = 0;
  for (const id of a) if (!b.has(id)) n++;
  for (const id of b) if (!a.has(id)) n++;
  return n;
}

export class Changer {
  constructor(
    readonly tracker: ProgressTracker,
    readonly lastIndex: number,
  ) {}

  /** Enters a joint config: the current voters become the outgoing half, the changes make the incoming. */
  enterJoint(autoLeave: boolean, ccs: ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0) throw new ErrConfChange('config is already joint');
    if (config.voters[0].size === 0) throw new ErrConfChange("can't make a zero-voter config joint");
    config.voters[1] = new Set(config.voters[0]);
    this.apply(config, progress, ccs);
    config.autoLeave = autoLeave;
    return checkAndReturn(config, progress);
  }

  /** Leaves a joint config: drops the outgoing half and turns LearnersNext into learners. */
  leaveJoint(): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size === 0) throw new ErrConfChange("can't leave a non-joint config");
    for (const id of config.learnersNext) {
      config.learners.add(id);
      progress.get(id)!.isLearner = true;
    }
    config.learnersNext = new Set();
    for (const id of config.voters[1]) {
      if (!config.voters[0].has(id) && !config.learners.has(id)) progress.delete(id);
    }
    config.voters[1] = new Set();
    config.autoLeave = false;
    return checkAndReturn(config, progress);
  }

  /** Applies changes that alter at most one voter, without a joint config. */
  simple(ccs: ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0)
      throw new ErrConfChange("can't apply simple config change in joint config");
    this.apply(config, progress, ccs);
    if (symdiff(this.tracker.config.voters[0], config.voters[0]) > 1) {
      throw new ErrConfChange('more than one voter changed without entering joint config');
    }
    return checkAndReturn(config, progress);
  }

  private apply(cfg: TrackerConfig, prs: ProgressMap, ccs: ConfChangeSingle[]): void {
    for (const cc of ccs) {
      // An application may zero the id of a change it decided not to apply.
      if (cc.nodeId === 0n) continue;
      switch (cc.type) {
        case ConfChangeType.ConfChangeAddNode:
          this.makeVoter(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeAddLearnerNode:
          this.makeLearner(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeRemoveNode:
          this.remove(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeUpdateNode:
          break;
        default:
          throw new ErrConfChange(`unexpected conf type ${cc.type}`);
      }
    }
    if (cfg.voters[0].size === 0) throw new ErrConfChange('removed all voters');
  }

  private makeVoter(cfg: TrackerConfig, prs: ProgressMap, id: NodeId): void {
    const pr = prs.get(id);
    if (!pr) {
      this.initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.voters[0].add(id);
  }

  private makeLearner(cfg: TrackerConfig, prs: ProgressMap, id: NodeId): void {
    const pr = prs.get(id);
    if (!pr) {
      this.initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    this.remove(cfg, prs, id);
    prs.set(id, pr);
    // A voter of the outgoing config can only become a learner once the joint config is left.
    if (cfg.voters[1].has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private remove(cfg: TrackerConfig, prs: ProgressMap, id: NodeId): void {
    if (!prs.has(id)) return;
    cfg.voters[0].delete(id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    // An outgoing voter keeps its progress until the joint config is left.
    if (!cfg.voters[1].has(id)) prs.delete(id);
  }

  private initProgress(cfg: TrackerConfig, prs: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.voters[0].add(id);
    const pr = new Progress(
      Math.max(this.lastIndex, 1),
      this.tracker.maxInflight,
      this.tracker.maxInflightBytes,
      isLearner,
    );
    // A new member counts as active so that check-quorum does not depose the leader before it answers.
    pr.recentActive = true;
    prs.set(id, pr);
  }

  private checkAndCopy(): ChangeResult {
    const config = cloneTrackerConfig(this.tracker.config);
    const progress = cloneProgressMap(this.tracker.progress);
    checkInvariants(config, progress);
    return { config, progress };
  }
}

function checkAndReturn(config: TrackerConfig, progress: ProgressMap): ChangeResult {
  checkInvariants(config, progress);
  return { config, progress };
}

function checkInvariants(cfg: TrackerConfig, prs: ProgressMap): void {
  for (const ids of [cfg.voters[0], cfg.voters[1], cfg.learners, cfg.learnersNext]) {
    for (const id of ids) if (!prs.has(id)) throw new ErrConfChange(`no progress for ${id}`);
  }
  for (const id of cfg.learnersNext) {
    if (!cfg.voters[1].has(id)) throw new ErrConfChange(`${id} is in LearnersNext, but not Voters[1]`);
    if (prs.get(id)!.isLearner)
      throw new ErrConfChange(`${id} is in LearnersNext, but is already marked as learner`);
  }
  for (const id of cfg.learners) {
    if (cfg.voters[0].has(id) || cfg.voters[1].has(id))
      throw new ErrConfChange(`${id} is a learner and a voter`);
    if (!prs.get(id)!.isLearner)
      throw new ErrConfChange(`${id} is in Learners, but is not marked as learner`);
  }
  if (cfg.voters[1].size === 0) {
    if (cfg.learnersNext.size > 0) throw new ErrConfChange('cfg.LearnersNext must be empty when not joint');
    if (cfg.autoLeave) throw new ErrConfChange('AutoLeave must be false when not joint');
  }
}

import type { AutoCompactionMode } from '../config/config.js';
import { parseDurationMs } from '../config/flags.js';

export interface CompactorDeps {
  rev(): number;
  isLeader(): boolean;
  compact(rev: number): Promise<void>;
  log(msg: string, rev: number): void;
}

/** --auto-compaction-retention in the given mode: a duration (bare numbers are hours) or a revision count. */
export function parseRetention(mode: AutoCompactionMode, text: string): number {
  if (mode === 'revision') {
    if (!/^\d+$/.test(text)) throw new Error(`invalid auto-compaction-retention ${JSON.stringify(text)}`);
    return Number(text);
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 3_600_000;
  return parseDurationMs(text);
}

/**
 * etcd's auto compaction, on the leader. Periodic: samples the revision every tenth of the window and
 * compacts to the revision seen one retention ago. Revision: every few minutes compacts to rev - retention.
 */
export class AutoCompactor {
  private timer: NodeJS.Timeout | undefined;
  private samples: { at: number; rev: number }[] = [];
  private lastCompacted = 0;

  constructor(
    private readonly mode: AutoCompactionMode,
    private readonly retention: number,
    private readonly deps: CompactorDeps,
    private readonly revisionCheckMs = 5 * 60_000,
  ) {}

  start(): void {
    if (this.retention <= 0) return;
    const every =
      this.mode === 'periodic'
        ? Math.max(10, Math.min(this.retention, 3_600_000) / 10)
        : this.revisionCheckMs;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  tick(now = Date.now()): void {
    if (!this.deps.isLeader()) {
      this.samples = [];
      return;
    }
    const rev = this.deps.rev();
    let target = 0;
    if (this.mode === 'revision') {
      target = rev - this.retention;
    } else {
      this.samples.push({ at: now, rev });
      // The newest sample at least one retention old is the compaction point.
      let i = -1;
      for (let j = 0; j < this.samples.length; j++) if (now - this.samples[j]!.at >= this.retention) i = j;
      if (i < 0) return;
      target = this.samples[i]!.rev;
      this.samples = this.samples.slice(i + 1);
    }
    if (target <= this.lastCompacted || target <= 0) return;
    this.lastCompacted = target;
    this.deps.log('starting auto compaction', target);
    this.deps.compact(target).catch(() => {});
  }
}

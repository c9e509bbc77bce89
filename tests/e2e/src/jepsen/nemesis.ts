import type { Cluster } from '../harness/cluster';
import { sleep } from '../harness/poll';

export interface NemesisEvent {
  at: number;
  what: string;
}

/**
 * Kills one member at a time with SIGKILL (every other time the leader) and restarts it with the same
 * data dir, until stopped. One member down at a time keeps a 3-member cluster's quorum.
 */
export class KillRestartNemesis {
  readonly events: NemesisEvent[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly rnd: () => number,
    private readonly t0: number,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private log(what: string): void {
    this.events.push({ at: performance.now() - this.t0, what });
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
  }

  private async run(): Promise<void> {
    let round = 0;
    while (!this.stopped) {
      await this.pause(1500 + this.rnd() * 1500);
      if (this.stopped) break;
      let victim = this.cluster.members[Math.floor(this.rnd() * this.cluster.members.length)]!;
      if (round % 2 === 0) victim = await this.cluster.leader(10_000).catch(() => victim);
      round++;
      await victim.kill9();
      this.log(`kill -9 ${victim.spec.name}`);
      await this.pause(500 + this.rnd() * 1500);
      victim.start();
      this.log(`restart ${victim.spec.name}`);
      await victim
        .waitHealthy(45_000)
        .catch((e: Error) => this.log(`${victim.spec.name} unhealthy: ${e.message}`));
    }
  }

  /** Stops the loop and makes sure every member runs and is healthy again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    for (const m of this.cluster.members) {
      if (!m.running) {
        m.start();
        this.log(`restart ${m.spec.name} (final)`);
      }
    }
    await Promise.all(this.cluster.members.map((m) => m.waitHealthy(45_000)));
  }
}

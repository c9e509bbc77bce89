import type { Cluster } from '../harness/cluster';
import { type EndpointStatus, endpointStatus } from '../harness/etcdctl';
import type { Member } from '../harness/member';
import { sleep } from '../harness/poll';
import type { NemesisEvent } from './nemesis';

/** One kind of fault the scheduler can inject. */
export type NetFault =
  | 'kill'
  | 'pause'
  | 'partition-halves'
  | 'isolate-leader'
  | 'bridge'
  | 'one-way'
  | 'partition-kill';

/** The `--fault` names and the faults each one draws from. */
export const FAULT_SETS: Record<string, NetFault[]> = {
  kill: ['kill'],
  pause: ['pause'],
  mixed: ['kill', 'pause'],
  partition: ['partition-halves', 'isolate-leader', 'bridge'],
  'partition-halves': ['partition-halves'],
  'isolate-leader': ['isolate-leader'],
  bridge: ['bridge'],
  'one-way': ['one-way'],
  'partition-kill': ['partition-kill'],
  'mixed-net': ['kill', 'pause', 'partition-halves', 'isolate-leader', 'bridge', 'one-way', 'partition-kill'],
};

export const NET_FAULTS: ReadonlySet<NetFault> = new Set([
  'partition-halves',
  'isolate-leader',
  'bridge',
  'one-way',
  'partition-kill',
]);

/** Whether a --fault name needs members in network namespaces. */
export function needsNetns(fault: string): boolean {
  return (FAULT_SETS[fault] ?? []).some((f) => NET_FAULTS.has(f));
}

export interface NemesisTiming {
  /** Quiet (healed) time between faults, ms: [min, max). */
  quiet: [number, number];
  /** How long a fault is held, ms: [min, max). */
  hold: [number, number];
  /**
   * When set, fault k starts at k * period ms after start() instead of after a quiet gap, so two
   * servers see faults at the same cadence (a fault still waits for the previous one's recovery).
   */
  period?: number;
  /**
   * Wait for every member to be healthy after a heal before the next fault (default). Without it the
   * next fault comes on schedule even while a restarted member is still booting, as crashes would.
   */
  awaitHealthy?: boolean;
}

const DEFAULT_TIMING: NemesisTiming = { quiet: [1000, 2500], hold: [2000, 5000] };

/**
 * Injects one fault at a time from a set, holds it, heals it, waits for the cluster to be healthy, and
 * repeats until stopped. Partitions cut member-to-member traffic only: clients in the root namespace
 * still reach every member, so they talk to minority members too, which is where stale reads and lost
 * writes would show. Every fault heals before the next, and stop() leaves every member running,
 * connected and healthy.
 */
export class NetNemesis {
  readonly events: NemesisEvent[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly timing: NemesisTiming;

  constructor(
    private readonly cluster: Cluster,
    private readonly rnd: () => number,
    private readonly t0: number,
    private readonly faults: NetFault[],
    timing?: Partial<NemesisTiming>,
  ) {
    if (faults.some((f) => NET_FAULTS.has(f)) && !cluster.net) {
      throw new Error('partition faults need a cluster started with netns: true');
    }
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  start(): void {
    this.loop = this.run();
  }

  private log(what: string): void {
    this.events.push({ at: performance.now() - this.t0, what });
  }

  private between([lo, hi]: [number, number]): number {
    return lo + this.rnd() * (hi - lo);
  }

  /** Sleeps up to ms, returning early once stopped. */
  private async wait(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
  }

  private shuffled(): number[] {
    const ix = this.cluster.members.map((_, i) => i);
    for (let i = ix.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [ix[i], ix[j]] = [ix[j]!, ix[i]!];
    }
    return ix;
  }

  private name(i: number): string {
    return this.cluster.members[i]!.spec.name;
  }

  private async leaderIndex(): Promise<number> {
    const l = await this.cluster.leader(5000).catch(() => undefined);
    return l ? this.cluster.indexOf(l) : Math.floor(this.rnd() * this.cluster.members.length);
  }

  /**
   * The leader as the answering running members name it, without waiting for every member to agree:
   * a member still booting (awaitHealthy false) must not hold up the schedule.
   */
  private async namedLeaderIndex(): Promise<number> {
    // A member that does not answer within a second (booting, or etcdctl waiting out its dial
    // timeout on a refused port) is left out.
    const st = (
      await Promise.all(
        this.cluster
          .running()
          .map((member) =>
            Promise.race([
              endpointStatus(member.endpoint).then((status) => (status ? { member, status } : undefined)),
              sleep(1000).then(() => undefined),
            ]),
          ),
      )
    ).filter((x) => x !== undefined && x.status.leader !== '0') as Array<{
      member: Member;
      status: EndpointStatus;
    }>;
    const i = this.cluster.members.findIndex((m) =>
      st.some((x) => x.member === m && st.some((y) => y.status.leader === x.status.memberId)),
    );
    return i >= 0 ? i : Math.floor(this.rnd() * this.cluster.members.length);
  }

  private partition(groups: number[][], why: string): void {
    this.cluster.net!.partition(groups);
    this.log(`${why}: ${groups.map((g) => `{${g.map((i) => this.name(i)).join(',')}}`).join(' | ')}`);
  }

  private heal(): void {
    if (this.cluster.net && this.cluster.net.describeBlocked().length > 0) {
      this.cluster.net.heal();
      this.log('heal');
    }
  }

  private async kill(m: Member, role = ''): Promise<void> {
    await m.kill9();
    this.log(`kill -9 ${m.spec.name}${role}`);
  }

  private restart(m: Member): void {
    if (m.running) return;
    m.start();
    this.log(`restart ${m.spec.name}`);
  }

  private async run(): Promise<void> {
    let round = 0;
    const started = Date.now();
    while (!this.stopped) {
      const { period } = this.timing;
      await this.wait(
        period === undefined ? this.between(this.timing.quiet) : started + (round + 1) * period - Date.now(),
      );
      if (this.stopped) break;
      const fault = this.faults[Math.floor(this.rnd() * this.faults.length)]!;
      const touched: Member[] = [];
      try {
        await this.inject(fault, round++, touched);
      } catch (e) {
        this.log(`${fault} failed: ${(e as Error).message}`);
      } finally {
        this.heal();
        for (const m of touched) {
          m.resume();
          this.restart(m);
        }
      }
      if (this.timing.awaitHealthy === false) continue;
      const healedAt = Date.now();
      await Promise.all(
        this.cluster.members.map((m) =>
          m.waitHealthy(45_000).catch((e: Error) => this.log(`${m.spec.name} unhealthy: ${e.message}`)),
        ),
      );
      this.log(`healthy ${Date.now() - healedAt} ms after ${fault} healed`);
    }
  }

  private async inject(fault: NetFault, round: number, touched: Member[]): Promise<void> {
    const members = this.cluster.members;
    const hold = this.between(this.timing.hold);
    switch (fault) {
      case 'kill':
      case 'pause': {
        // Every other time the leader, else anyone.
        // The bench (awaitHealthy false) looks the leader up every round to label the victim; the
        // Jepsen runs only when they aim at it, as before.
        const quick = this.timing.awaitHealthy === false;
        const leader = quick
          ? await this.namedLeaderIndex()
          : round % 2 === 0
            ? await this.leaderIndex()
            : -1;
        const i = round % 2 === 0 ? leader : Math.floor(this.rnd() * members.length);
        const m = members[i]!;
        const role = i === leader ? ' (leader)' : '';
        touched.push(m);
        if (fault === 'pause') {
          m.pause();
          this.log(`pause ${m.spec.name}${role}`);
          await this.wait(hold);
          m.resume();
          this.log(`resume ${m.spec.name}`);
        } else {
          await this.kill(m, role);
          await this.wait(hold / 2);
          this.restart(m);
        }
        return;
      }
      case 'partition-halves': {
        // A random minority (floor(n/2) members) against the majority.
        const ix = this.shuffled();
        const k = Math.floor(ix.length / 2);
        this.partition([ix.slice(0, k), ix.slice(k)], 'partition halves');
        await this.wait(hold);
        return;
      }
      case 'isolate-leader': {
        const l = await this.leaderIndex();
        this.partition([[l], members.map((_, i) => i).filter((i) => i !== l)], 'isolate leader');
        await this.wait(hold);
        return;
      }
      case 'bridge': {
        // One member talks to both sides; the sides cannot talk to each other. In a 3-member cluster
        // the bridge is in both majorities: it may stay leader or be elected by either side.
        const [b, ...rest] = this.shuffled();
        const half = Math.ceil(rest.length / 2);
        const a = rest.slice(0, half);
        const c = rest.slice(half);
        for (const x of a) for (const y of c) this.cluster.net!.block(x, y);
        this.log(
          `bridge ${this.name(b!)}: {${a.map((i) => this.name(i))}} x {${c.map((i) => this.name(i))}}`,
        );
        await this.wait(hold);
        return;
      }
      case 'one-way': {
        // The leader still sends (heartbeats, appends) but hears nobody: without check-quorum it
        // keeps suppressing elections while unable to commit anything.
        const l = await this.leaderIndex();
        for (let i = 0; i < members.length; i++) if (i !== l) this.cluster.net!.blockOneWay(i, l);
        this.log(`one-way: ${this.name(l)} deaf to the others`);
        await this.wait(hold);
        return;
      }
      case 'partition-kill': {
        // Isolate the leader, then crash either it (it restarts still cut off) or a majority member
        // (the majority loses quorum until the restart), then heal.
        const l = await this.leaderIndex();
        const rest = members.map((_, i) => i).filter((i) => i !== l);
        this.partition([[l], rest], 'isolate leader');
        await this.wait(hold / 3);
        const victim = members[this.rnd() < 0.5 ? l : rest[Math.floor(this.rnd() * rest.length)]!]!;
        touched.push(victim);
        await this.kill(victim);
        await this.wait(hold / 3);
        this.restart(victim);
        await this.wait(hold / 3);
        return;
      }
    }
  }

  /** Stops injecting, heals the network, resumes and restarts everyone, waits for a healthy cluster. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.heal();
    for (const m of this.cluster.members) {
      m.resume();
      if (!m.running) {
        m.start();
        this.log(`restart ${m.spec.name} (final)`);
      }
    }
    await Promise.all(this.cluster.members.map((m) => m.waitHealthy(45_000)));
    await this.cluster.leader(30_000);
  }
}

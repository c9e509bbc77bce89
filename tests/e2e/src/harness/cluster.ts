import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EndpointStatus, endpointStatus } from './etcdctl';
import { Member, makeTempRoot } from './member';
import { NetLab } from './netns';
import { waitFor } from './poll';
import { freePorts } from './ports';
import type { ServerKind } from './server-binary';

export interface ClusterOptions {
  size: number;
  /** Flags for every member beyond the wiring, e.g. ['--snapshot-count', '100']. */
  flags?: string[];
  /** Election timing tuned for fast tests; pass [] to keep the server's defaults. */
  timing?: string[];
  healthTimeoutMs?: number;
  /** Which server to run; default: the suite's (KV_E2E_SERVER). Comparison tests start both. */
  kind?: ServerKind;
  /**
   * Run each member in its own network namespace (see NetLab) so the network can be partitioned;
   * needs root (check netnsSkipReason() first). Default: all on 127.0.0.1.
   */
  netns?: boolean;
}

export const FAST_TIMING = ['--heartbeat-interval', '50', '--election-timeout', '500'];

/** N members of the selected server on 127.0.0.1 with random ports and temp data dirs. */
export class Cluster {
  private constructor(
    readonly members: Member[],
    private readonly tmp: { dir: string; remove: () => void },
    /** The members' private network, when started with netns: true. */
    readonly net?: NetLab,
  ) {}

  static async start(opts: ClusterOptions): Promise<Cluster> {
    const tmp = makeTempRoot();
    let net: NetLab | undefined;
    try {
      net = opts.netns ? NetLab.create(opts.size) : undefined;
    } catch (e) {
      tmp.remove();
      throw e;
    }
    // Each namespace has its own address, so the well-known ports are free there.
    const ports = net
      ? Array.from({ length: opts.size * 2 }, (_, i) => (i % 2 === 0 ? 2379 : 2380))
      : await freePorts(opts.size * 2);
    const hosts = Array.from({ length: opts.size }, (_, i) => net?.addr(i) ?? '127.0.0.1');
    const names = Array.from({ length: opts.size }, (_, i) => `m${i + 1}`);
    const initialCluster = names.map((n, i) => `${n}=http://${hosts[i]}:${ports[2 * i + 1]}`).join(',');
    const token = `e2e-${process.pid}-${Date.now()}`;
    const members = names.map((name, i) => {
      const dataDir = join(tmp.dir, name, `${name}.etcd`);
      mkdirSync(join(tmp.dir, name), { recursive: true });
      return new Member({
        name,
        clientPort: ports[2 * i]!,
        peerPort: ports[2 * i + 1]!,
        initialCluster,
        token,
        extraFlags: [...(opts.timing ?? FAST_TIMING), ...(opts.flags ?? [])],
        dataDir,
        kind: opts.kind,
        host: hosts[i],
        wrap: net?.wrap(i),
      });
    });
    const c = new Cluster(members, tmp, net);
    try {
      for (const m of members) m.start();
      await Promise.all(members.map((m) => m.waitHealthy(opts.healthTimeoutMs ?? 45_000)));
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  get dir(): string {
    return this.tmp.dir;
  }
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }
  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }
  /** Member m's index in members (and in net). */
  indexOf(m: Member): number {
    return this.members.indexOf(m);
  }
  running(): Member[] {
    return this.members.filter((m) => m.running);
  }

  /** Status of every running member that answers. */
  async statuses(): Promise<Array<{ member: Member; status: EndpointStatus }>> {
    const out = await Promise.all(
      this.running().map(async (member) => ({ member, status: await endpointStatus(member.endpoint) })),
    );
    return out.filter((x): x is { member: Member; status: EndpointStatus } => x.status !== undefined);
  }

  /**
   * The member that every answering running member agrees is the leader (and which reports itself as
   * leader), polled until the deadline.
   */
  async leader(timeoutMs = 20_000, among: Member[] = this.running()): Promise<Member> {
    return waitFor(
      'a leader agreed by every running member',
      async () => {
        const st = await Promise.all(among.map(async (m) => ({ m, s: await endpointStatus(m.endpoint) })));
        if (st.some((x) => x.s === undefined)) return undefined;
        const leaders = new Set(st.map((x) => x.s!.leader));
        if (leaders.size !== 1) return undefined;
        const id = [...leaders][0]!;
        if (id === '0') return undefined;
        return st.find((x) => x.s!.memberId === id)?.m;
      },
      timeoutMs,
      150,
    );
  }

  /** Kills every member by PID (SIGKILL) and removes the temp dir. Safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill9().catch(() => {})));
    for (const m of this.members) m.closeLog();
    this.net?.destroy();
    this.tmp.remove();
  }

  /** Log tails of every member, for assertion messages. */
  logs(): string {
    return this.members.map((m) => `--- ${m.spec.name} ---\n${m.log.slice(-1500)}`).join('\n');
  }
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A private network for one cluster: a network namespace per member, each with a veth into a bridge in
 * the root namespace, on a /24 of 10.0.0.0/8 picked at random per run. Members listen on their own
 * address; clients stay in the root namespace (10.a.b.1 on the bridge) and reach every member.
 *
 * Partitions drop packets silently (no RST, no ICMP), like a broken switch: on each member's host-side
 * veth (traffic INTO the member) an htb root qdisc sends packets whose source is a blocked peer to a
 * class whose leaf is `pfifo limit 0`, which drops everything it is given. Blocking a pair installs one
 * such u32 filter on each side. (tc's `action drop` and netem need kernel modules this machine lacks;
 * htb + u32 + pfifo are in every kernel that has tc at all.)
 *
 * Everything created is named kv<rid>... and removed by destroy(), which also runs on exit, SIGINT and
 * SIGTERM; nothing else is ever touched.
 */
export class NetLab {
  private destroyed = false;
  /** Blocked directed pairs "from>to" (member indexes, 0-based). */
  private readonly blocked = new Set<string>();
  private readonly created: { netns: string[]; links: string[] } = { netns: [], links: [] };

  private constructor(
    readonly rid: string,
    readonly subnet: string,
    readonly size: number,
  ) {}

  /** Builds the bridge and n namespaces; on any failure tears down what it made and throws. */
  static create(size: number): NetLab {
    const lab = new NetLab(randomBytes(2).toString('hex'), pickSubnet(), size);
    labs.add(lab);
    installExitHooks();
    try {
      lab.build();
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  get bridge(): string {
    return `kv${this.rid}b`;
  }
  /** The root namespace's address on the bridge (where clients come from). */
  get gateway(): string {
    return `${this.subnet}.1`;
  }
  netns(i: number): string {
    return `kv-${this.rid}-n${i + 1}`;
  }
  hostVeth(i: number): string {
    return `kv${this.rid}h${i + 1}`;
  }
  private nsVeth(i: number): string {
    return `kv${this.rid}n${i + 1}`;
  }
  /** Member i's address (0-based index). */
  addr(i: number): string {
    return `${this.subnet}.${i + 10}`;
  }
  /** The command prefix that runs a program inside member i's namespace (ip execs it: same PID). */
  wrap(i: number): string[] {
    return ['ip', 'netns', 'exec', this.netns(i)];
  }

  private build(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    this.created.links.push(this.bridge);
    ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 0; i < this.size; i++) {
      const ns = this.netns(i);
      ip('netns', 'add', ns);
      this.created.netns.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', this.hostVeth(i), 'type', 'veth', 'peer', 'name', this.nsVeth(i));
      this.created.links.push(this.hostVeth(i));
      ip('link', 'set', this.nsVeth(i), 'netns', ns);
      ip('link', 'set', this.hostVeth(i), 'master', this.bridge, 'up');
      ip('-n', ns, 'addr', 'add', `${this.addr(i)}/24`, 'dev', this.nsVeth(i));
      ip('-n', ns, 'link', 'set', this.nsVeth(i), 'up');
      // Class 1:1 passes everything (the default), class 1:2 drops everything it is handed.
      const dev = this.hostVeth(i);
      tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1', 'r2q', '100000');
      tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit');
      tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:2', 'htb', 'rate', '10gbit');
      tc('qdisc', 'add', 'dev', dev, 'parent', '1:2', 'handle', '20:', 'pfifo', 'limit', '0');
    }
  }

  /** Drops every packet from member `from` to member `to` (one direction). */
  blockOneWay(from: number, to: number): void {
    const k = `${from}>${to}`;
    if (this.blocked.has(k)) return;
    // One filter per source, with a handle derived from it so heal can delete exactly that filter.
    tc(
      'filter',
      'add',
      'dev',
      this.hostVeth(to),
      'parent',
      '1:',
      'protocol',
      'ip',
      'prio',
      String(from + 1),
      'u32',
      'match',
      'ip',
      'src',
      `${this.addr(from)}/32`,
      'flowid',
      '1:2',
    );
    this.blocked.add(k);
  }

  /** Cuts a and b apart in both directions. */
  block(a: number, b: number): void {
    this.blockOneWay(a, b);
    this.blockOneWay(b, a);
  }

  /** Every member of one group cut off from every member of the others; clients still reach all. */
  partition(groups: number[][]): void {
    for (let g = 0; g < groups.length; g++) {
      for (let h = g + 1; h < groups.length; h++) {
        for (const a of groups[g]!) for (const b of groups[h]!) this.block(a, b);
      }
    }
  }

  /** Removes every drop filter: the network is whole again. */
  heal(): void {
    for (const k of [...this.blocked]) {
      const [from, to] = k.split('>').map(Number) as [number, number];
      tcQuiet('filter', 'del', 'dev', this.hostVeth(to), 'parent', '1:', 'prio', String(from + 1));
      this.blocked.delete(k);
    }
  }

  /** Directed pairs currently blocked, e.g. ["1>2", "2>1"] (1-based, for logs). */
  describeBlocked(): string[] {
    return [...this.blocked].map((k) =>
      k
        .split('>')
        .map((x) => Number(x) + 1)
        .join('>'),
    );
  }

  /** Removes the veths (their qdiscs and filters go with them), the bridge and the namespaces. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    labs.delete(this);
    for (const l of this.created.links.reverse()) ipQuiet('link', 'del', l);
    for (const ns of this.created.netns) ipQuiet('netns', 'del', ns);
  }
}

const labs = new Set<NetLab>();
let hooked = false;

/** Tear down every live lab when the process ends, however it ends. */
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const l of [...labs]) l.destroy();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const l of [...labs]) l.destroy();
      // process.exit runs the other exit hooks (the members' SIGKILL by PID).
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
function tc(...args: string[]): void {
  execFileSync('tc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
function ipQuiet(...args: string[]): void {
  try {
    ip(...args);
  } catch {}
}
function tcQuiet(...args: string[]): void {
  try {
    tc(...args);
  } catch {}
}

/** A 10.a.b.0/24 that no existing address or route on this machine overlaps. */
function pickSubnet(): string {
  const used = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const addrs = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  const text = `${used}\n${addrs}`;
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(2);
    const prefix = `10.${100 + (b[0]! % 150)}.${b[1]!}`;
    // Any route or address inside 10/8 that could cover it disqualifies it (crude but safe).
    const clash = text.split('\n').some((l) => {
      const m = /(^|\s)(10\.\d+\.\d+\.\d+)\/(\d+)/.exec(l);
      if (!m) return false;
      const [, , net, len] = m;
      // Overlap when the shorter of the two prefixes contains the other.
      const bits = Math.min(Number(len), 24);
      const toInt = (s: string) => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (toInt(`${prefix}.0`) & mask) >>> 0 === (toInt(net!) & mask) >>> 0;
    });
    if (!clash) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 found');
}

let probed: string | undefined | null = null;

/**
 * Why network partitions cannot run here (not root, no `ip`/`tc`, no netns, veth, bridge, htb or u32),
 * or undefined when they can. Probes once by building and removing a one-member lab and a filter.
 */
export function netnsSkipReason(): string | undefined {
  if (probed !== null) return probed;
  probed = probe();
  return probed;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'network partitions need root (ip netns, veth, bridge, tc); skipped';
  }
  for (const tool of ['ip', 'tc']) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'ignore' });
    } catch {
      return `\`${tool}\` (iproute2) not found; network partitions skipped`;
    }
  }
  let lab: NetLab | undefined;
  try {
    lab = NetLab.create(2);
    lab.block(0, 1);
    lab.heal();
    return undefined;
  } catch (e) {
    const msg = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message)
      .trim()
      .slice(0, 200);
    return `this machine cannot build a netns/veth/bridge/htb lab (${msg}); network partitions skipped`;
  } finally {
    lab?.destroy();
  }
}

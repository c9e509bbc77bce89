// Golden comparison of our etcdctl with etcd's etcdctl 3.4. Each binary talks to its own, identically
// driven etcd, so revisions agree; what legitimately differs (cluster, member and lease IDs, ports,
// timings) is replaced by placeholders before comparing.

import type { TestEtcd } from './etcd';
import { type Result, run } from './run-ctl';

export interface Step {
  /** arguments after the global flags; {lease0}, {member1}, {self}, {ep}, {dir} are filled per side */
  args: string[];
  input?: string;
  env?: Record<string, string>;
  /** leave --endpoints out (commands that do not talk to a server) */
  noEndpoint?: boolean;
  /** SIGINT once output has settled (watch, lock, elect, keep-alive), at the latest after 10s */
  interrupt?: boolean;
  /** leave stdin open after the input (watch -i exits at its end, racing the events it prints) */
  stdinOpen?: boolean;
  /** the order of members (sorted by their random IDs) may differ */
  unordered?: boolean;
  /** remaining TTLs tick while the two sides run: compare them as "some seconds" */
  ttl?: boolean;
  /** what the reference runs instead, for a flag etcdctl 3.4.23 lacks; strip is cut from its stdout */
  ref?: { args: string[]; strip?: RegExp };
  /** compare stdout (default true); false when it holds what cannot be normalised */
  stdout?: boolean;
  /** why this step's output differs between etcd 3.4 and our server (skips that comparison) */
  serverSpecific?: string;
  /** why this step cannot run against our server yet (a known server limitation) */
  notOnOurServer?: string;
  /**
   * -w protobuf steps. 'same-server': both etcdctls run against one server, one after the other (the
   * step must not write), and their bytes must be equal. 'after-header': each against its own server;
   * the bytes after the leading response header (field 1, which holds the IDs) must be equal.
   */
  protobuf?: 'same-server' | 'after-header';
  /** learn IDs this step prints */
  learn?: 'lease' | 'member' | 'key-lease';
}

export class Side {
  readonly leases: bigint[] = [];
  readonly members: bigint[] = [];
  clusterId = 0n;
  memberId = 0n;

  constructor(
    readonly bin: string,
    readonly etcd: TestEtcd,
    readonly dir: string,
    /** dbSize is masked: ours is RocksDB's estimate, and etcd's bbolt size depends on commit timing */
    readonly approximateDbSize = false,
  ) {}

  async init(): Promise<void> {
    const r = await run(this.bin, [`--endpoints=${this.etcd.endpoint}`, 'member', 'list', '-w', 'json']);
    const m = /"cluster_id":(\d+),"member_id":(\d+)/.exec(r.stdout);
    if (!m) throw new Error(`member list failed: ${r.stdout}${r.stderr}`);
    this.clusterId = BigInt(m[1]);
    this.memberId = BigInt(m[2]);
  }

  fill(arg: string): string {
    return arg
      .replace(/\{lease(\d+)\}/g, (_, i) => (this.leases[Number(i)] ?? 0n).toString(16))
      .replace(/\{member(\d+)\}/g, (_, i) => (this.members[Number(i)] ?? 0n).toString(16))
      .replace(/\{self\}/g, this.memberId.toString(16))
      .replace(/\{ep\}/g, this.etcd.endpoint)
      .replace(/\{dir\}/g, this.dir);
  }

  learn(kind: 'lease' | 'member' | 'key-lease', out: string): void {
    const into = kind === 'member' ? this.members : this.leases;
    const re =
      kind === 'lease'
        ? /lease ([0-9a-f]{16}) granted|"ID":(\d+),"TTL"|"ID" : (\d+)/g
        : kind === 'key-lease'
          ? /^[^/\n]+\/([0-9a-f]+)$/gm
          : /Member +([0-9a-f]+) added|"member":\{"ID":(\d+)/g;
    for (const m of out.matchAll(re)) {
      const id = m[1] ? BigInt(`0x${m[1]}`) : BigInt(m[2] ?? m[3]);
      if (!into.includes(id)) into.push(id);
      break;
    }
  }

  /** Replaces what differs between the two servers with stable names. */
  normalize(s: string): string {
    const ids: Array<[bigint, string]> = [
      [this.clusterId, 'CLUSTER_ID'],
      [this.memberId, 'MEMBER_ID'],
      ...this.leases.map((l, i): [bigint, string] => [l, `LEASE${i}`]),
      ...this.members.map((l, i): [bigint, string] => [l, `MEMBER${i}`]),
    ];
    let out = s;
    for (const [id, name] of ids) {
      const u = BigInt.asUintN(64, id);
      out = out.split(u.toString()).join(name);
      out = out.split(BigInt.asIntN(64, id).toString()).join(name);
      out = out.split(u.toString(16).padStart(16, '0')).join(name);
      out = out.split(u.toString(16)).join(name);
    }
    // "member add/update/remove/promote" print both IDs with %16x, so a 15-digit ID carries a leading space
    out = out.replace(/Member +(\S+) ([a-z]+ (?:to|in|from)) cluster +(\S+)/g, 'Member $1 $2 cluster $3');
    out = out.split(this.etcd.endpoint).join('ENDPOINT').split(this.etcd.peerUrl).join('PEER_URL');
    out = out.split(this.dir).join('DIR');
    out = out.replace(/took = \S+/g, 'took = T').replace(/"took":"[^"]*"/g, '"took":"T"');
    // the raft log also holds the server's own entries (cluster version, lease checkpoints), whose
    // number depends on timing
    out = out
      .replace(/"(raftIndex|raftAppliedIndex)":\d+/g, '"$1":N')
      .replace(/"(RaftIndex|RaftAppliedIndex)" : \d+/g, '"$1" : N');
    if (this.approximateDbSize)
      out = out
        .replace(/"(dbSize|dbSizeInUse)":\d+/g, '"$1":N')
        .replace(/"(DBSize|DbSizeInUse)" : \d+/g, '"$1" : N')
        .replace(/\b\d+(\.\d+)? [kMG]?B\b/g, 'SIZE');
    // Table columns size to their longest cell, which an ID or a time of different length changes:
    // cells are compared, padding is not (the layout itself is compared on tables without IDs).
    out = out
      .split('\n')
      .map((l) =>
        /^[+|]/.test(l)
          ? l
              .replace(/\b\d+(\.\d+)?(ns|µs|ms|s)\b/g, 'T')
              .replace(/-+/g, '-')
              .replace(/ +/g, ' ')
          : l,
      )
      .join('\n');
    return out;
  }

  async step(step: Step): Promise<Result> {
    const args = [
      ...(step.noEndpoint ? [] : [`--endpoints=${this.etcd.endpoint}`]),
      ...step.args.map((a) => this.fill(a)),
    ];
    const r = await run(this.bin, args, {
      input: step.input === undefined ? undefined : this.fill(step.input),
      env: step.env && Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, this.fill(v)])),
      interruptAfterMs: step.interrupt ? 10_000 : undefined,
      interruptWhenSettledMs: step.interrupt ? 500 : undefined,
      cwd: this.dir,
      keepStdinOpen: step.stdinOpen,
    });
    if (step.learn) this.learn(step.learn, r.stdout);
    let stdout = this.normalize(r.stdout);
    if (step.unordered) stdout = unorder(stdout);
    if (step.ttl)
      stdout = stdout
        .replace(/remaining\(\d+s\)/g, 'remaining(Ns)')
        .replace(/"ttl":\d+/g, '"ttl":N')
        .replace(/"TTL" : \d+/g, '"TTL" : N');
    return { ...r, stdout, errors: r.errors.map((e) => this.normalize(e)) };
  }
}

/** Sorts lines, and the members of JSON member lists, so that member order does not matter. */
function unorder(s: string): string {
  const json = s.replace(/"members":\[(.*)\]\}/g, (_, inner: string) => {
    const items = inner.split(/(?<=\}),(?=\{"ID")/).sort();
    return `"members":[${items.join(',')}]}`;
  });
  const cluster = json.replace(
    /ETCD_INITIAL_CLUSTER="([^"]*)"/g,
    (_, v: string) => `ETCD_INITIAL_CLUSTER="${v.split(',').sort().join(',')}"`,
  );
  return cluster.split('\n').sort().join('\n');
}

// etcdctl's default "simple" output.
import { goStringSlice, hex16, hexId } from './go-format';
import {
  type DbStatus,
  dbStatusRows,
  type EpHashKV,
  type EpHealth,
  type EpStatus,
  endpointHashKVRows,
  endpointStatusRows,
  type Msg,
  memberListRows,
  out,
  type Printer,
} from './printer';

const eventType = ['PUT', 'DELETE'];
const permType = ['READ', 'WRITE', 'READWRITE'];
const alarmType = ['NONE', 'NOSPACE', 'CORRUPT'];

/** Go's `\xNN` rendering of --hex output. */
function hexPrefixed(b: Buffer): string {
  return b.toString('hex').replace(/(..)/g, '\\x$1');
}

/** clientv3.GetPrefixRangeEnd */
export function prefixRangeEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export class SimplePrinter implements Printer {
  constructor(
    private readonly isHex: boolean,
    private readonly valueOnly: boolean,
  ) {}

  kv(kv: Msg): void {
    let k: string;
    let v: string;
    if (this.isHex) {
      k = hexPrefixed(kv.key);
      v = hexPrefixed(kv.value);
    } else {
      k = kv.key.toString('latin1');
      v = kv.value.toString('latin1');
    }
    // latin1 round-trips arbitrary bytes to stdout unchanged
    let s = '';
    if (!this.valueOnly) s += `${k}\n`;
    s += `${v}\n`;
    process.stdout.write(Buffer.from(s, 'latin1'));
  }

  del(r: Msg): void {
    out(`${r.deleted}\n`);
    for (const kv of r.prevKvs) this.kv(kv);
  }
  get(r: Msg): void {
    for (const kv of r.kvs) this.kv(kv);
  }
  put(r: Msg): void {
    out('OK\n');
    if (r.prevKv) this.kv(r.prevKv);
  }
  txn(r: Msg): void {
    out(r.succeeded ? 'SUCCESS\n' : 'FAILURE\n');
    for (const op of r.responses) {
      out('\n');
      if (op.responseDeleteRange) this.del(op.responseDeleteRange);
      else if (op.responsePut) this.put(op.responsePut);
      else if (op.responseRange) this.get(op.responseRange);
      else out(`unexpected response ${JSON.stringify(op)}\n`);
    }
  }
  watch(r: Msg): void {
    for (const e of r.events) {
      out(`${eventType[e.type] ?? e.type}\n`);
      if (e.prevKv) this.kv(e.prevKv);
      this.kv(e.kv);
    }
  }
  grant(r: Msg): void {
    out(`lease ${hex16(r.ID)} granted with TTL(${r.TTL}s)\n`);
  }
  revoke(id: bigint): void {
    out(`lease ${hex16(id)} revoked\n`);
  }
  keepAlive(r: Msg): void {
    out(`lease ${hex16(r.ID)} keepalived with TTL(${r.TTL})\n`);
  }
  timeToLive(r: Msg, keys: boolean): void {
    if (r.grantedTTL === 0n && r.TTL === -1n) {
      out(`lease ${hex16(r.ID)} already expired\n`);
      return;
    }
    let txt = `lease ${hex16(r.ID)} granted with TTL(${r.grantedTTL}s), remaining(${r.TTL}s)`;
    if (keys) txt += `, attached keys(${goStringSlice(r.keys.map((k: Buffer) => k.toString('latin1')))})`;
    process.stdout.write(Buffer.from(`${txt}\n`, 'latin1'));
  }
  leases(r: Msg): void {
    let s = `found ${r.leases.length} leases\n`;
    for (const l of r.leases) s += `${hex16(l.ID)}\n`;
    out(s);
  }
  memberAdd(r: Msg): void {
    out(`Member ${hexId(r.member.ID).padStart(16)} added to cluster ${hexId(r.header.clusterId).padStart(16)}\n`);
  }
  memberRemove(id: bigint, r: Msg): void {
    out(`Member ${hexId(id).padStart(16)} removed from cluster ${hexId(r.header.clusterId).padStart(16)}\n`);
  }
  memberUpdate(id: bigint, r: Msg): void {
    out(`Member ${hexId(id).padStart(16)} updated in cluster ${hexId(r.header.clusterId).padStart(16)}\n`);
  }
  memberPromote(id: bigint, r: Msg): void {
    out(`Member ${hexId(id).padStart(16)} promoted in cluster ${hexId(r.header.clusterId).padStart(16)}\n`);
  }
  memberList(r: Msg): void {
    const [, rows] = memberListRows(r);
    out(rows.map((row) => `${row.join(', ')}\n`).join(''));
  }
  endpointHealth(hs: EpHealth[]): void {
    for (const h of hs) {
      if (h.error === '') process.stderr.write(`${h.ep} is healthy: successfully committed proposal: took = ${h.took}\n`);
      else process.stderr.write(`${h.ep} is unhealthy: failed to commit proposal: ${h.error}\n`);
    }
  }
  endpointStatus(ss: EpStatus[]): void {
    const [, rows] = endpointStatusRows(ss);
    out(rows.map((row) => `${row.join(', ')}\n`).join(''));
  }
  endpointHashKV(hs: EpHashKV[]): void {
    const [, rows] = endpointHashKVRows(hs);
    out(rows.map((row) => `${row.join(', ')}\n`).join(''));
  }
  moveLeader(leader: bigint, target: bigint): void {
    out(`Leadership transferred from ${hexId(leader)} to ${hexId(target)}\n`);
  }
  alarm(r: Msg): void {
    for (const a of r.alarms) out(`memberID:${a.memberID} alarm:${alarmType[a.alarm] ?? a.alarm} \n`);
  }
  dbStatus(ds: DbStatus): void {
    const [, rows] = dbStatusRows(ds);
    out(rows.map((row) => `${row.join(', ')}\n`).join(''));
  }
  roleAdd(role: string): void {
    out(`Role ${role} created\n`);
  }
  roleGet(role: string, r: Msg): void {
    let s = `Role ${role}\nKV Read:\n`;
    const range = (p: Msg): string => {
      const key = p.key.toString('latin1');
      const end = p.rangeEnd.toString('latin1');
      let t = end !== '\x00' ? `\t[${key}, ${end})` : `\t[${key}, <open ended>`;
      if (prefixRangeEnd(p.key).toString('latin1') === end) t += ` (prefix ${key})`;
      return `${t}\n`;
    };
    const line = (p: Msg) => (p.rangeEnd.length === 0 ? `\t${p.key.toString('latin1')}\n` : range(p));
    for (const p of r.perm) if (p.permType === 0 || p.permType === 2) s += line(p);
    s += 'KV Write:\n';
    for (const p of r.perm) if (p.permType === 1 || p.permType === 2) s += line(p);
    process.stdout.write(Buffer.from(s, 'latin1'));
  }
  roleDelete(role: string): void {
    out(`Role ${role} deleted\n`);
  }
  roleList(r: Msg): void {
    out(r.roles.map((x: string) => `${x}\n`).join(''));
  }
  roleGrantPermission(role: string): void {
    out(`Role ${role} updated\n`);
  }
  roleRevokePermission(role: string, key: string, end: string): void {
    if (end.length === 0) out(`Permission of key ${key} is revoked from role ${role}\n`);
    else if (end !== '\x00') out(`Permission of range [${key}, ${end}) is revoked from role ${role}\n`);
    else out(`Permission of range [${key}, <open ended> is revoked from role ${role}\n`);
  }
  userAdd(name: string): void {
    out(`User ${name} created\n`);
  }
  userGet(name: string, r: Msg): void {
    out(`User: ${name}\nRoles:${r.roles.map((x: string) => ` ${x}`).join('')}\n`);
  }
  userList(r: Msg): void {
    out(r.users.map((x: string) => `${x}\n`).join(''));
  }
  userChangePassword(): void {
    out('Password updated\n');
  }
  userGrantRole(user: string, role: string): void {
    out(`Role ${role} is granted to user ${user}\n`);
  }
  userRevokeRole(user: string, role: string): void {
    out(`Role ${role} is revoked from user ${user}\n`);
  }
  userDelete(user: string): void {
    out(`User ${user} deleted\n`);
  }
}

export { permType };

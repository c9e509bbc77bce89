// etcdctl's "fields" output: one `"Name" : value` line per field, Go's %q for strings.
import { goQuote, goStringSlice } from './go-format';
import { type DbStatus, type EpHashKV, type EpHealth, type EpStatus, type Msg, out, type Printer, unsupported } from './printer';

const eventType = ['PUT', 'DELETE'];
const permType = ['READ', 'WRITE', 'READWRITE'];
const alarmType = ['NONE', 'NOSPACE', 'CORRUPT'];

export class FieldsPrinter implements Printer {
  private hdr(h: Msg): string {
    return `"ClusterID" : ${h.clusterId}\n"MemberID" : ${h.memberId}\n"Revision" : ${h.revision}\n"RaftTerm" : ${h.raftTerm}\n`;
  }
  private kv(pfx: string, kv: Msg): string {
    return (
      `"${pfx}Key" : ${goQuote(kv.key)}\n"${pfx}CreateRevision" : ${kv.createRevision}\n` +
      `"${pfx}ModRevision" : ${kv.modRevision}\n"${pfx}Version" : ${kv.version}\n` +
      `"${pfx}Value" : ${goQuote(kv.value)}\n"${pfx}Lease" : ${kv.lease}\n`
    );
  }
  private header(r: Msg): void {
    out(this.hdr(r.header));
  }

  del(r: Msg): void {
    out(this.hdr(r.header) + `"Deleted" : ${r.deleted}\n` + r.prevKvs.map((kv: Msg) => this.kv('Prev', kv)).join(''));
  }
  get(r: Msg): void {
    out(
      this.hdr(r.header) +
        r.kvs.map((kv: Msg) => this.kv('', kv)).join('') +
        `"More" : ${r.more}\n"Count" : ${r.count}\n`,
    );
  }
  put(r: Msg): void {
    out(this.hdr(r.header) + (r.prevKv ? this.kv('Prev', r.prevKv) : ''));
  }
  txn(r: Msg): void {
    out(`${this.hdr(r.header)}"Succeeded" : ${r.succeeded}\n`);
    for (const op of r.responses) {
      if (op.responseDeleteRange) this.del(op.responseDeleteRange);
      else if (op.responsePut) this.put(op.responsePut);
      else if (op.responseRange) this.get(op.responseRange);
    }
  }
  watch(r: Msg): void {
    let s = this.hdr(r.header);
    for (const e of r.events) {
      s += `"Type" : ${eventType[e.type] ?? e.type}\n`;
      if (e.prevKv) s += this.kv('Prev', e.prevKv);
      s += this.kv('', e.kv);
    }
    out(s);
  }
  grant(r: Msg): void {
    out(`${this.hdr(r.header)}"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n`);
  }
  revoke(_id: bigint, r: Msg): void {
    this.header(r);
  }
  keepAlive(r: Msg): void {
    out(`${this.hdr(r.header)}"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n`);
  }
  timeToLive(r: Msg): void {
    out(
      `${this.hdr(r.header)}"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n"GrantedTTL" : ${r.grantedTTL}\n` +
        r.keys.map((k: Buffer) => `"Key" : ${goQuote(k)}\n`).join(''),
    );
  }
  leases(r: Msg): void {
    out(this.hdr(r.header) + r.leases.map((l: Msg) => `"ID" : ${l.ID}\n`).join(''));
  }
  memberList(r: Msg): void {
    let s = this.hdr(r.header);
    for (const m of r.members) {
      s += `"ID" : ${m.ID}\n"Name" : ${goQuote(m.name)}\n`;
      for (const u of m.peerURLs) s += `"PeerURL" : ${goQuote(u)}\n`;
      for (const u of m.clientURLs) s += `"ClientURL" : ${goQuote(u)}\n`;
      s += `"IsLearner" : ${m.isLearner}\n\n`;
    }
    out(s);
  }
  endpointHealth(hs: EpHealth[]): void {
    out(
      hs
        .map((h) => `"Endpoint" : ${goQuote(h.ep)}\n"Health" : ${h.health}\n"Took" : ${h.took}\n"Error" : ${h.error}\n\n`)
        .join(''),
    );
  }
  endpointStatus(eps: EpStatus[]): void {
    let s = '';
    for (const { ep, resp } of eps) {
      s += this.hdr(resp.header);
      s += `"Version" : ${goQuote(resp.version)}\n"DBSize" : ${resp.dbSize}\n"Leader" : ${resp.leader}\n`;
      s += `"IsLearner" : ${resp.isLearner}\n"RaftIndex" : ${resp.raftIndex}\n"RaftTerm" : ${resp.raftTerm}\n`;
      s += `"RaftAppliedIndex" : ${resp.raftAppliedIndex}\n"Errors" : ${goStringSlice(resp.errors)}\n`;
      s += `"Endpoint" : ${goQuote(ep)}\n\n`;
    }
    out(s);
  }
  endpointHashKV(hs: EpHashKV[]): void {
    out(hs.map((h) => `${this.hdr(h.resp.header)}"Endpoint" : ${goQuote(h.ep)}\n"Hash" : ${h.resp.hash}\n\n`).join(''));
  }
  alarm(r: Msg): void {
    out(
      this.hdr(r.header) +
        r.alarms.map((a: Msg) => `"MemberID" : ${a.memberID}\n"AlarmType" : ${alarmType[a.alarm] ?? a.alarm}\n\n`).join(''),
    );
  }
  dbStatus(r: DbStatus): void {
    out(`"Hash" : ${r.hash}\n"Revision" : ${r.revision}\n"Keys" : ${r.totalKey}\n"Size" : ${r.totalSize}\n`);
  }
  roleAdd(_role: string, r: Msg): void {
    this.header(r);
  }
  roleGet(_role: string, r: Msg): void {
    let s = this.hdr(r.header);
    for (const p of r.perm) {
      s += `"PermType" :  ${permType[p.permType]}\n"Key" : ${goQuote(p.key)}\n"RangeEnd" : ${goQuote(p.rangeEnd)}\n`;
    }
    out(s);
  }
  roleDelete(_role: string, r: Msg): void {
    this.header(r);
  }
  roleList(r: Msg): void {
    out(`${this.hdr(r.header)}"Roles" :${r.roles.map((x: string) => ` ${goQuote(x)}`).join('')}\n`);
  }
  roleGrantPermission(_role: string, r: Msg): void {
    this.header(r);
  }
  roleRevokePermission(_role: string, _key: string, _end: string, r: Msg): void {
    this.header(r);
  }
  userAdd(_user: string, r: Msg): void {
    this.header(r);
  }
  userChangePassword(r: Msg): void {
    this.header(r);
  }
  userGrantRole(_user: string, _role: string, r: Msg): void {
    this.header(r);
  }
  userRevokeRole(_user: string, _role: string, r: Msg): void {
    this.header(r);
  }
  userDelete(_user: string, r: Msg): void {
    this.header(r);
  }
  // etcdctl 3.4's fields printer has no method for these (its embedded printer is nil).
  private readonly none = unsupported('fields');
  memberAdd(r: Msg): void {
    this.none.memberAdd(r);
  }
  memberRemove(id: bigint, r: Msg): void {
    this.none.memberRemove(id, r);
  }
  memberUpdate(id: bigint, r: Msg): void {
    this.none.memberUpdate(id, r);
  }
  memberPromote(id: bigint, r: Msg): void {
    this.none.memberPromote(id, r);
  }
  moveLeader(a: bigint, b: bigint, r: Msg): void {
    this.none.moveLeader(a, b, r);
  }
  userGet(u: string, r: Msg): void {
    this.none.userGet(u, r);
  }
  userList(r: Msg): void {
    this.none.userList(r);
  }
}

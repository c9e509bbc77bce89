// etcdctl's "json" output: json.Marshal of the Go value etcdctl prints (proto structs, or clientv3's
// own structs for watch and leases, whose field names and tags differ).
import { goJson, goJsonString, goStruct, json } from './go-json';
import { type DbStatus, type EpHashKV, type EpHealth, type EpStatus, type Msg, out, type Printer } from './printer';
import * as S from './schemas';

const pj = (schema: S.Schema, r: Msg) => out(`${goJson(schema, r)}\n`);
const headerFields = (h: Msg): string => {
  const inner = goJson(S.ResponseHeader, h);
  return inner.slice(1, -1);
};
/** clientv3 structs that embed *pb.ResponseHeader: its fields are promoted into the object */
const embedded = (h: Msg, rest: Array<[string, string]>): string => {
  const head = headerFields(h);
  const tail = goStruct(rest).slice(1, -1);
  return `{${[head, tail].filter(Boolean).join(',')}}`;
};

export class JsonPrinter implements Printer {
  del(r: Msg): void {
    pj(S.DeleteRangeResponse, r);
  }
  get(r: Msg): void {
    pj(S.RangeResponse, r);
  }
  put(r: Msg): void {
    pj(S.PutResponse, r);
  }
  txn(r: Msg): void {
    pj(S.TxnResponse, r);
  }
  watch(r: Msg): void {
    const events = r.events.length
      ? json.encodeValue({ list: { msg: S.Event } }, r.events)
      : 'null';
    out(
      `${goStruct([
        ['Header', goJson(S.ResponseHeader, r.header)],
        ['Events', events],
        ['CompactRevision', String(r.compactRevision)],
        ['Canceled', String(r.canceled)],
        ['Created', String(r.created)],
      ])}\n`,
    );
  }
  grant(r: Msg): void {
    out(
      `${embedded(r.header, [
        ['ID', String(r.ID)],
        ['TTL', String(r.TTL)],
        ['Error', goJsonString(r.error)],
      ])}\n`,
    );
  }
  revoke(_id: bigint, r: Msg): void {
    pj(S.LeaseRevokeResponse, r);
  }
  keepAlive(r: Msg): void {
    out(
      `${embedded(r.header, [
        ['ID', String(r.ID)],
        ['TTL', String(r.TTL)],
      ])}\n`,
    );
  }
  timeToLive(r: Msg): void {
    out(
      `${embedded(r.header, [
        ['id', String(r.ID)],
        ['ttl', String(r.TTL)],
        ['granted-ttl', String(r.grantedTTL)],
        ['keys', r.keys.length ? json.encodeValue({ list: 'bytes' }, r.keys) : 'null'],
      ])}\n`,
    );
  }
  leases(r: Msg): void {
    out(`${embedded(r.header, [['leases', `[${r.leases.map((l: Msg) => `{"id":${l.ID}}`).join(',')}]`]])}\n`);
  }
  memberAdd(r: Msg): void {
    pj(S.MemberAddResponse, r);
  }
  memberRemove(_id: bigint, r: Msg): void {
    pj(S.MemberRemoveResponse, r);
  }
  memberUpdate(_id: bigint, r: Msg): void {
    pj(S.MemberUpdateResponse, r);
  }
  memberPromote(_id: bigint, r: Msg): void {
    pj(S.MemberPromoteResponse, r);
  }
  memberList(r: Msg): void {
    pj(S.MemberListResponse, r);
  }
  endpointHealth(hs: EpHealth[]): void {
    const items = hs.map((h) => {
      const f: Array<[string, string]> = [
        ['endpoint', goJsonString(h.ep)],
        ['health', String(h.health)],
        ['took', goJsonString(h.took)],
      ];
      if (h.error) f.push(['error', goJsonString(h.error)]);
      return goStruct(f);
    });
    out(`[${items.join(',')}]\n`);
  }
  endpointStatus(ss: EpStatus[]): void {
    const items = ss.map((s) =>
      goStruct([
        ['Endpoint', goJsonString(s.ep)],
        ['Status', goJson(S.StatusResponse, s.resp)],
      ]),
    );
    out(`[${items.join(',')}]\n`);
  }
  endpointHashKV(hs: EpHashKV[]): void {
    const items = hs.map((s) =>
      goStruct([
        ['Endpoint', goJsonString(s.ep)],
        ['HashKV', goJson(S.HashKVResponse, s.resp)],
      ]),
    );
    out(`[${items.join(',')}]\n`);
  }
  moveLeader(_l: bigint, _t: bigint, r: Msg): void {
    pj(S.MoveLeaderResponse, r);
  }
  alarm(r: Msg): void {
    pj(S.AlarmResponse, r);
  }
  dbStatus(d: DbStatus): void {
    out(
      `${goStruct([
        ['hash', String(d.hash)],
        ['revision', String(d.revision)],
        ['totalKey', String(d.totalKey)],
        ['totalSize', String(d.totalSize)],
      ])}\n`,
    );
  }
  roleAdd(_role: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  roleGet(_role: string, r: Msg): void {
    pj(S.AuthRoleGetResponse, r);
  }
  roleDelete(_role: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  roleList(r: Msg): void {
    pj(S.AuthRoleListResponse, r);
  }
  roleGrantPermission(_role: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  roleRevokePermission(_role: string, _k: string, _e: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  userAdd(_user: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  userGet(_user: string, r: Msg): void {
    pj(S.AuthUserGetResponse, r);
  }
  userList(r: Msg): void {
    pj(S.AuthUserListResponse, r);
  }
  userChangePassword(r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  userGrantRole(_u: string, _r: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  userRevokeRole(_u: string, _r: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
  userDelete(_u: string, r: Msg): void {
    pj(S.HeaderOnly, r);
  }
}

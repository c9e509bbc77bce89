// etcdctl's "table" output: only member list, endpoint health/status/hashkv and snapshot status.
import {
  type DbStatus,
  dbStatusRows,
  type EpHashKV,
  type EpHealth,
  type EpStatus,
  endpointHashKVRows,
  endpointHealthRows,
  endpointStatusRows,
  type Msg,
  memberListRows,
  out,
  type Printer,
  unsupported,
} from './printer';
import { renderTable } from './table-writer';

const base = unsupported('table');

export class TablePrinter implements Printer {
  memberList(r: Msg): void {
    out(renderTable(...memberListRows(r)));
  }
  endpointHealth(hs: EpHealth[]): void {
    out(renderTable(...endpointHealthRows(hs)));
  }
  endpointStatus(ss: EpStatus[]): void {
    out(renderTable(...endpointStatusRows(ss)));
  }
  endpointHashKV(hs: EpHashKV[]): void {
    out(renderTable(...endpointHashKVRows(hs)));
  }
  dbStatus(d: DbStatus): void {
    out(renderTable(...dbStatusRows(d)));
  }
  del = base.del;
  get = base.get;
  put = base.put;
  txn = base.txn;
  watch = base.watch;
  grant = base.grant;
  revoke = base.revoke;
  keepAlive = base.keepAlive;
  timeToLive = base.timeToLive;
  leases = base.leases;
  memberAdd = base.memberAdd;
  memberRemove = base.memberRemove;
  memberUpdate = base.memberUpdate;
  memberPromote = base.memberPromote;
  moveLeader = base.moveLeader;
  alarm = base.alarm;
  roleAdd = base.roleAdd;
  roleGet = base.roleGet;
  roleDelete = base.roleDelete;
  roleList = base.roleList;
  roleGrantPermission = base.roleGrantPermission;
  roleRevokePermission = base.roleRevokePermission;
  userAdd = base.userAdd;
  userGet = base.userGet;
  userList = base.userList;
  userChangePassword = base.userChangePassword;
  userGrantRole = base.userGrantRole;
  userRevokeRole = base.userRevokeRole;
  userDelete = base.userDelete;
}

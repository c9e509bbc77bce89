// The printer interface of etcdctl (one method per kind of result) and the rows that the simple and
// table printers share. Results are in printer form (see go-json.ts normalize).
import { CtlError, ExitBadFeature } from './exit-codes';
import { hexId, humanizeBytes } from './go-format';

export type Msg = any;

export interface EpHealth {
  ep: string;
  health: boolean;
  took: string;
  error: string;
}
export interface EpStatus {
  ep: string;
  resp: Msg;
}
export interface EpHashKV {
  ep: string;
  resp: Msg;
}
export interface DbStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

export interface Printer {
  del(r: Msg): void;
  get(r: Msg): void;
  put(r: Msg): void;
  txn(r: Msg): void;
  watch(r: Msg): void;
  grant(r: Msg): void;
  revoke(id: bigint, r: Msg): void;
  keepAlive(r: Msg): void;
  timeToLive(r: Msg, keys: boolean): void;
  leases(r: Msg): void;
  memberAdd(r: Msg): void;
  memberRemove(id: bigint, r: Msg): void;
  memberUpdate(id: bigint, r: Msg): void;
  memberPromote(id: bigint, r: Msg): void;
  memberList(r: Msg): void;
  endpointHealth(hs: EpHealth[]): void;
  endpointStatus(ss: EpStatus[]): void;
  endpointHashKV(hs: EpHashKV[]): void;
  moveLeader(leader: bigint, target: bigint, r: Msg): void;
  alarm(r: Msg): void;
  dbStatus(s: DbStatus): void;
  roleAdd(role: string, r: Msg): void;
  roleGet(role: string, r: Msg): void;
  roleDelete(role: string, r: Msg): void;
  roleList(r: Msg): void;
  roleGrantPermission(role: string, r: Msg): void;
  roleRevokePermission(role: string, key: string, end: string, r: Msg): void;
  userAdd(user: string, r: Msg): void;
  userGet(user: string, r: Msg): void;
  userList(r: Msg): void;
  userChangePassword(r: Msg): void;
  userGrantRole(user: string, role: string, r: Msg): void;
  userRevokeRole(user: string, role: string, r: Msg): void;
  userDelete(user: string, r: Msg): void;
}

/** A printer whose every method fails as etcdctl's printerUnsupported does. */
export function unsupported(name: string): Printer {
  const fail = (): never => {
    throw new CtlError(ExitBadFeature, `${name} not supported as output format`);
  };
  return new Proxy({} as Printer, { get: (_t, prop) => (prop === 'then' ? undefined : fail) });
}

export function out(s: string): void {
  process.stdout.write(s);
}

export function memberListRows(r: Msg): [string[], string[][]] {
  const hdr = ['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'];
  const rows = (r.members as Msg[]).map((m) => [
    hexId(m.ID),
    m.name.length === 0 ? 'unstarted' : 'started',
    m.name,
    m.peerURLs.join(','),
    m.clientURLs.join(','),
    m.isLearner ? 'true' : 'false',
  ]);
  return [hdr, rows];
}

export function endpointHealthRows(hs: EpHealth[]): [string[], string[][]] {
  return [['endpoint', 'health', 'took', 'error'], hs.map((h) => [h.ep, String(h.health), h.took, h.error])];
}

export function endpointStatusRows(ss: EpStatus[]): [string[], string[][]] {
  const hdr = [
    'endpoint',
    'ID',
    'version',
    'db size',
    'is leader',
    'is learner',
    'raft term',
    'raft index',
    'raft applied index',
    'errors',
  ];
  const rows = ss.map(({ ep, resp }) => [
    ep,
    hexId(resp.header.memberId),
    resp.version,
    humanizeBytes(Number(resp.dbSize)),
    String(resp.leader === resp.header.memberId),
    String(resp.isLearner),
    String(resp.raftTerm),
    String(resp.raftIndex),
    String(resp.raftAppliedIndex),
    resp.errors.join(', '),
  ]);
  return [hdr, rows];
}

export function endpointHashKVRows(hs: EpHashKV[]): [string[], string[][]] {
  return [['endpoint', 'hash'], hs.map((h) => [h.ep, String(h.resp.hash)])];
}

export function dbStatusRows(ds: DbStatus): [string[], string[][]] {
  return [
    ['hash', 'revision', 'total keys', 'total size'],
    [[ds.hash.toString(16), String(ds.revision), String(ds.totalKey), humanizeBytes(ds.totalSize)]],
  ];
}

export function newPrinter(kind: string, isHex: boolean, valueOnly = false): Printer | undefined {
  switch (kind) {
    case 'simple': {
      const { SimplePrinter } = require('./printer-simple') as typeof import('./printer-simple');
      return new SimplePrinter(isHex, valueOnly);
    }
    case 'fields': {
      const { FieldsPrinter } = require('./printer-fields') as typeof import('./printer-fields');
      return new FieldsPrinter();
    }
    case 'json': {
      const { JsonPrinter } = require('./printer-json') as typeof import('./printer-json');
      return new JsonPrinter();
    }
    case 'table': {
      const { TablePrinter } = require('./printer-table') as typeof import('./printer-table');
      return new TablePrinter();
    }
    case 'protobuf': {
      const { ProtobufPrinter } = require('./printer-protobuf') as typeof import('./printer-protobuf');
      return new ProtobufPrinter();
    }
  }
  return undefined;
}

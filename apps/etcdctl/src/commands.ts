// The explicit command map: ids as etcdctl spells them, each loaded only when it runs (no plugin or
// manifest scanning at start-up).
import type { CommandSpec } from './command';

type Loader = () => CommandSpec;

export const commands: Record<string, Loader> = {
  get: () => require('./commands/get').get,
  put: () => require('./commands/put').put,
  del: () => require('./commands/del').del,
  txn: () => require('./commands/txn').txn,
  compaction: () => require('./commands/compaction').compaction,
  watch: () => require('./commands/watch').watch,
  version: () => require('./commands/version').version,
  'lease grant': () => require('./commands/lease').grant,
  'lease revoke': () => require('./commands/lease').revoke,
  'lease timetolive': () => require('./commands/lease').timetolive,
  'lease list': () => require('./commands/lease').list,
  'lease keep-alive': () => require('./commands/lease').keepAlive,
  lock: () => require('./commands/lock').lock,
  elect: () => require('./commands/elect').elect,
  'member add': () => require('./commands/member').add,
  'member remove': () => require('./commands/member').remove,
  'member update': () => require('./commands/member').update,
  'member list': () => require('./commands/member').list,
  'member promote': () => require('./commands/member').promote,
  'endpoint health': () => require('./commands/endpoint').health,
  'endpoint status': () => require('./commands/endpoint').status,
  'endpoint hashkv': () => require('./commands/endpoint').hashkv,
  'snapshot save': () => require('./commands/snapshot').save,
  'snapshot status': () => require('./commands/snapshot').status,
  'snapshot restore': () => require('./commands/snapshot').restore,
  defrag: () => require('./commands/maintenance').defrag,
  'alarm list': () => require('./commands/maintenance').alarmList,
  'alarm disarm': () => require('./commands/maintenance').alarmDisarm,
  'move-leader': () => require('./commands/maintenance').moveLeader,
  'check perf': () => require('./commands/check').perf,
  'auth enable': () => require('./commands/auth').enable,
  'auth disable': () => require('./commands/auth').disable,
  'user add': () => require('./commands/user').add,
  'user delete': () => require('./commands/user').del,
  'user get': () => require('./commands/user').get,
  'user list': () => require('./commands/user').list,
  'user passwd': () => require('./commands/user').passwd,
  'user grant-role': () => require('./commands/user').grantRole,
  'user revoke-role': () => require('./commands/user').revokeRole,
  'role add': () => require('./commands/role').add,
  'role delete': () => require('./commands/role').del,
  'role get': () => require('./commands/role').get,
  'role list': () => require('./commands/role').list,
  'role grant-permission': () => require('./commands/role').grantPermission,
  'role revoke-permission': () => require('./commands/role').revokePermission,
};

/** Words that name a command not on its own (etcdctl's shorthand `revoke` is the user's quick start). */
export const aliases: Record<string, string> = {
  revoke: 'lease revoke',
};

// Auth service, until the core has an auth store: answers as an etcd with no users and auth disabled.
import { type AnyMethod, Auth } from '@kv/api-proto';
import { EtcdError, etcdError, GrpcCode } from '../errors';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';

export function addAuth(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Auth.AuthStatus, () => ({ header: server.header(), enabled: false, authRevision: 0 }));
  unary(table, Auth.AuthDisable, () => ({ header: server.header() }));
  unary(table, Auth.AuthEnable, () => {
    throw etcdError('RootUserNotExist');
  });
  unary(table, Auth.Authenticate, () => {
    throw etcdError('AuthNotEnabled');
  });
  unary(table, Auth.UserList, () => ({ header: server.header(), users: [] }));
  unary(table, Auth.RoleList, () => ({ header: server.header(), roles: [] }));
  unary(table, Auth.UserGet, () => {
    throw etcdError('UserNotFound');
  });
  unary(table, Auth.RoleGet, () => {
    throw etcdError('RoleNotFound');
  });
  const notYet: AnyMethod[] = [
    Auth.UserAdd,
    Auth.UserDelete,
    Auth.UserChangePassword,
    Auth.UserGrantRole,
    Auth.UserRevokeRole,
    Auth.RoleAdd,
    Auth.RoleDelete,
    Auth.RoleGrantPermission,
    Auth.RoleRevokePermission,
  ];
  for (const m of notYet) {
    unary(table, m, () => {
      throw new EtcdError(
        GrpcCode.UNIMPLEMENTED,
        `etcdserver: ${m.method} is not supported by this server yet`,
      );
    });
  }
}

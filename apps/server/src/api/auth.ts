// Auth service: user, role and permission management, the auth switch, and Authenticate. Every call is
// the core's business (raft proposals checked in apply); the handler only hands over who is calling.
import { Auth } from '@kv/api-proto';
import type { CallContext } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';

export function addAuth(table: HandlerTable, server: EtcdServerApi): void {
  const s = server;
  unary(table, Auth.AuthEnable, (req, ctx: CallContext) => s.authEnable(req, ctx));
  unary(table, Auth.AuthDisable, (req, ctx: CallContext) => s.authDisable(req, ctx));
  unary(table, Auth.AuthStatus, (req, ctx: CallContext) => s.authStatus(req, ctx));
  unary(table, Auth.Authenticate, (req) => s.authenticate(req));
  unary(table, Auth.UserAdd, (req, ctx: CallContext) => s.userAdd(req, ctx));
  unary(table, Auth.UserGet, (req, ctx: CallContext) => s.userGet(req, ctx));
  unary(table, Auth.UserList, (req, ctx: CallContext) => s.userList(req, ctx));
  unary(table, Auth.UserDelete, (req, ctx: CallContext) => s.userDelete(req, ctx));
  unary(table, Auth.UserChangePassword, (req, ctx: CallContext) => s.userChangePassword(req, ctx));
  unary(table, Auth.UserGrantRole, (req, ctx: CallContext) => s.userGrantRole(req, ctx));
  unary(table, Auth.UserRevokeRole, (req, ctx: CallContext) => s.userRevokeRole(req, ctx));
  unary(table, Auth.RoleAdd, (req, ctx: CallContext) => s.roleAdd(req, ctx));
  unary(table, Auth.RoleGet, (req, ctx: CallContext) => s.roleGet(req, ctx));
  unary(table, Auth.RoleList, (req, ctx: CallContext) => s.roleList(req, ctx));
  unary(table, Auth.RoleDelete, (req, ctx: CallContext) => s.roleDelete(req, ctx));
  unary(table, Auth.RoleGrantPermission, (req, ctx: CallContext) => s.roleGrantPermission(req, ctx));
  unary(table, Auth.RoleRevokePermission, (req, ctx: CallContext) => s.roleRevokePermission(req, ctx));
}

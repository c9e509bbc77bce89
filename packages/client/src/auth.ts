// Users, roles and permissions: `client.auth`.
import { type Bytes, keyRange, type RangeSelector } from './key-range';
import { headerFromWire, type ResponseHeader, wireNum } from './key-value';
import type { CallOptions, Invoker } from './rpc';
import { wireMethod } from './wire';

/** Access a permission grants. */
export type PermissionType = 'read' | 'write' | 'readwrite';
const permTypes: PermissionType[] = ['read', 'write', 'readwrite'];

/** A role's permission on a key or range ([key, rangeEnd); rangeEnd empty: the single key). */
export interface Permission {
  permType: PermissionType;
  key: Buffer;
  rangeEnd: Buffer;
}

type Header = { header: ResponseHeader };

/** The Auth API. Enabling auth requires a `root` user with the `root` role. */
export class AuthClient {
  /** @internal */
  constructor(private readonly invoker: Invoker) {}

  private async call(name: string, req: object, kind: 'read' | 'write', options: CallOptions): Promise<any> {
    return this.invoker.unary(wireMethod('Auth', name), req, kind, options);
  }

  private async plain(name: string, req: object, options: CallOptions): Promise<Header> {
    return { header: headerFromWire((await this.call(name, req, 'write', options)).header) };
  }

  /** Turns authentication on (needs a `root` user holding the `root` role). */
  authEnable(options: CallOptions = {}): Promise<Header> {
    return this.plain('AuthEnable', {}, options);
  }
  /** Turns authentication off. */
  authDisable(options: CallOptions = {}): Promise<Header> {
    return this.plain('AuthDisable', {}, options);
  }
  /** Whether auth is enabled, and the auth revision (etcd >= 3.5; 3.4 answers UNIMPLEMENTED). */
  async authStatus(options: CallOptions = {}): Promise<Header & { enabled: boolean; authRevision: number }> {
    const r = await this.call('AuthStatus', {}, 'read', options);
    return { header: headerFromWire(r.header), enabled: !!r.enabled, authRevision: wireNum(r.authRevision) };
  }

  /** Adds a user; `noPassword` users can only authenticate with TLS client certificates. */
  userAdd(
    name: string,
    password: string,
    options: { noPassword?: boolean } & CallOptions = {},
  ): Promise<Header> {
    return this.plain('UserAdd', { name, password, options: { noPassword: !!options.noPassword } }, options);
  }
  /** The roles of a user. */
  async userGet(name: string, options: CallOptions = {}): Promise<Header & { roles: string[] }> {
    const r = await this.call('UserGet', { name }, 'read', options);
    return { header: headerFromWire(r.header), roles: [...(r.roles ?? [])] };
  }
  /** Every user name. */
  async userList(options: CallOptions = {}): Promise<string[]> {
    return [...((await this.call('UserList', {}, 'read', options)).users ?? [])];
  }
  /** Deletes a user. */
  userDelete(name: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('UserDelete', { name }, options);
  }
  /** Sets a user's password. */
  userChangePassword(name: string, password: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('UserChangePassword', { name, password }, options);
  }
  /** Gives a user a role. */
  userGrantRole(user: string, role: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('UserGrantRole', { user, role }, options);
  }
  /** Takes a role from a user. */
  userRevokeRole(user: string, role: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('UserRevokeRole', { name: user, role }, options);
  }
  /** Creates a role. */
  roleAdd(name: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('RoleAdd', { name }, options);
  }
  /** The permissions of a role. */
  async roleGet(role: string, options: CallOptions = {}): Promise<Header & { permissions: Permission[] }> {
    const r = await this.call('RoleGet', { role }, 'read', options);
    return {
      header: headerFromWire(r.header),
      permissions: (r.perm ?? []).map((p: any) => ({
        permType: permTypes[p.permType] ?? 'read',
        key: Buffer.from(p.key ?? []),
        rangeEnd: Buffer.from(p.rangeEnd ?? []),
      })),
    };
  }
  /** Every role name. */
  async roleList(options: CallOptions = {}): Promise<string[]> {
    return [...((await this.call('RoleList', {}, 'read', options)).roles ?? [])];
  }
  /** Deletes a role. */
  roleDelete(role: string, options: CallOptions = {}): Promise<Header> {
    return this.plain('RoleDelete', { role }, options);
  }
  /** Grants `role` access to a key, or a range with `prefix`/`rangeEnd`/`fromKey`. */
  roleGrantPermission(
    role: string,
    permType: PermissionType,
    key: Bytes,
    options: RangeSelector & CallOptions = {},
  ): Promise<Header> {
    const r = keyRange(key, options);
    return this.plain(
      'RoleGrantPermission',
      { name: role, perm: { permType: permTypes.indexOf(permType), key: r.key, rangeEnd: r.rangeEnd } },
      options,
    );
  }
  /** Revokes the permission of `role` on exactly this key or range. */
  roleRevokePermission(role: string, key: Bytes, options: RangeSelector & CallOptions = {}): Promise<Header> {
    const r = keyRange(key, options);
    return this.plain('RoleRevokePermission', { role, key: r.key, rangeEnd: r.rangeEnd }, options);
  }
}

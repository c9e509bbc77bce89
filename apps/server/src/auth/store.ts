// The auth store (etcd's auth/store.go): the enabled flag, the auth revision, users and roles. State is
// held in memory and written through to three backend namespaces with etcd's layouts (`auth`:
// authEnabled / authRevision, `authUsers`: name -> authpb.User, `authRoles`: name -> authpb.Role). Writes
// join the backend's pending batch, so they land in the same RocksDB batch as the rest of the applied
// entries and the consistent index; after a crash the store is reloaded from what landed and the WAL
// replays the rest.
import { authpb } from '@kv/api-proto';
import type { Namespace } from '@kv/mvcc';
import { etcdError } from '../errors.js';
import { type KeyPermission, RangePermissions } from './permissions.js';
import type { TokenProvider } from './token-provider.js';

export const ROOT = 'root';
const ENABLED_KEY = Buffer.from('authEnabled');
const REVISION_KEY = Buffer.from('authRevision');

/** Who a request runs as: the user its token names and the auth revision when that was looked up. */
export interface AuthInfo {
  username: string;
  revision: number;
}

export interface User {
  name: string;
  /** The password hash (password.ts), empty for a user without password. */
  password: string;
  /** Sorted. */
  roles: string[];
  noPassword: boolean;
}

export interface AuthNamespaces {
  auth: Namespace;
  users: Namespace;
  roles: Namespace;
}

const NO_USER: AuthInfo = { username: '', revision: 0 };

export class AuthStore {
  private enabledFlag = false;
  private rev = 1;
  private readonly users = new Map<string, User>();
  private readonly roles = new Map<string, KeyPermission[]>();
  private permCache = new Map<string, RangePermissions>();

  constructor(
    private readonly ns: AuthNamespaces,
    readonly tokens: TokenProvider,
  ) {
    this.enabledFlag = ns.auth.get(ENABLED_KEY)?.[0] === 1;
    const r = ns.auth.get(REVISION_KEY);
    // etcd starts a fresh store at revision 1 so that 0 can mean "no user" in a request header.
    if (r && r.length === 8) this.rev = Math.max(1, Number(r.readBigUInt64BE(0)));
    for (const [, v] of ns.users.iterate()) {
      const u = authpb.User.decode(v);
      const name = Buffer.from(u.name ?? []).toString();
      this.users.set(name, {
        name,
        password: Buffer.from(u.password ?? []).toString(),
        roles: [...(u.roles ?? [])].sort(),
        noPassword: u.options?.noPassword === true,
      });
    }
    for (const [, v] of ns.roles.iterate()) {
      const r = authpb.Role.decode(v);
      this.roles.set(
        Buffer.from(r.name ?? []).toString(),
        (r.keyPermission ?? []).map((p) => ({
          permType: p.permType ?? 0,
          key: Buffer.from(p.key ?? []),
          rangeEnd: Buffer.from(p.rangeEnd ?? []),
        })),
      );
    }
    this.refreshPermCache();
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.rev;
  }

  // ------------------------------------------------------------------ mutations (raft apply only)

  enable(): void {
    if (this.enabledFlag) return;
    const root = this.users.get(ROOT);
    if (!root) throw etcdError('RootUserNotExist');
    if (!root.roles.includes(ROOT)) throw etcdError('RootRoleNotExist');
    this.enabledFlag = true;
    this.ns.auth.put(ENABLED_KEY, Buffer.from([1]));
    this.tokens.clear();
  }

  disable(): void {
    if (!this.enabledFlag) return;
    this.enabledFlag = false;
    this.ns.auth.put(ENABLED_KEY, Buffer.from([0]));
    this.commitRevision();
    this.tokens.clear();
  }

  /** Applies an Authenticate entry: the token for `name` (simple: `${prefix}.${index}`; jwt: signed). */
  authenticate(name: string, prefix: string, index: number): string {
    if (!this.enabledFlag) throw etcdError('AuthNotEnabled');
    const u = this.users.get(name);
    if (!u || u.noPassword) throw etcdError('AuthFailed');
    return this.tokens.assign(prefix, index, name, this.rev);
  }

  userAdd(name: string, hashedPassword: string, noPassword: boolean): void {
    if (name.length === 0) throw etcdError('UserEmpty');
    if (this.users.has(name)) throw etcdError('UserAlreadyExist');
    this.putUser({ name, password: noPassword ? '' : hashedPassword, roles: [], noPassword });
    this.changed();
  }

  userDelete(name: string): void {
    if (this.enabledFlag && name === ROOT) throw etcdError('InvalidAuthMgmt');
    if (!this.users.has(name)) throw etcdError('UserNotFound');
    this.users.delete(name);
    this.ns.users.del(Buffer.from(name));
    this.changed();
    this.tokens.invalidateUser(name);
  }

  userChangePassword(name: string, hashedPassword: string): void {
    const u = this.users.get(name);
    if (!u) throw etcdError('UserNotFound');
    this.putUser({ ...u, password: hashedPassword });
    this.changed();
    this.tokens.invalidateUser(name);
  }

  userGrantRole(name: string, role: string): void {
    const u = this.users.get(name);
    if (!u) throw etcdError('UserNotFound');
    if (role !== ROOT && !this.roles.has(role)) throw etcdError('RoleNotFound');
    if (u.roles.includes(role)) return;
    this.putUser({ ...u, roles: [...u.roles, role].sort() });
    this.changed();
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT && role === ROOT) throw etcdError('InvalidAuthMgmt');
    const u = this.users.get(name);
    if (!u) throw etcdError('UserNotFound');
    if (!u.roles.includes(role)) throw etcdError('RoleNotGranted');
    this.putUser({ ...u, roles: u.roles.filter((r) => r !== role) });
    this.changed();
  }

  roleAdd(name: string): void {
    if (name.length === 0) throw etcdError('RoleEmpty');
    if (this.roles.has(name)) throw etcdError('RoleAlreadyExist');
    this.putRole(name, []);
    this.changed();
  }

  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT) throw etcdError('InvalidAuthMgmt');
    if (!this.roles.has(name)) throw etcdError('RoleNotFound');
    this.roles.delete(name);
    this.ns.roles.del(Buffer.from(name));
    for (const u of this.users.values()) {
      if (u.roles.includes(name)) this.putUser({ ...u, roles: u.roles.filter((r) => r !== name) });
    }
    this.changed();
  }

  roleGrantPermission(name: string, perm: KeyPermission | null | undefined): void {
    if (!perm) throw etcdError('PermissionNotGiven');
    // etcd 3.4.23 (Debian's) stores any range as given; later 3.4s refuse an inverted one. It grants nothing.
    const perms = this.roles.get(name);
    if (!perms) throw etcdError('RoleNotFound');
    const key = Buffer.from(perm.key);
    const rangeEnd = Buffer.from(perm.rangeEnd ?? []);
    // etcd looks only at the first permission with this key (a binary search over the key-sorted list):
    // if that one has another range end, the grant is added even when a later one matches exactly.
    const first = perms.findIndex((p) => Buffer.compare(p.key, key) >= 0);
    const same = first >= 0 && key.equals(perms[first]!.key) && rangeEnd.equals(perms[first]!.rangeEnd);
    let next: KeyPermission[];
    if (same) next = perms.map((p, i) => (i === first ? { ...p, permType: perm.permType } : p));
    else {
      next = [...perms, { permType: perm.permType, key, rangeEnd }];
      // Stable by key, as etcd's sort.Sort of the appended list is up to 12 permissions (insertion sort).
      next.sort((a, b) => Buffer.compare(a.key, b.key));
    }
    this.putRole(name, next);
    this.changed();
  }

  roleRevokePermission(name: string, key: Uint8Array, rangeEnd: Uint8Array): void {
    const perms = this.roles.get(name);
    if (!perms) throw etcdError('RoleNotFound');
    const k = Buffer.from(key);
    const e = Buffer.from(rangeEnd);
    const next = perms.filter((p) => !(k.equals(p.key) && e.equals(p.rangeEnd)));
    if (next.length === perms.length) throw etcdError('PermissionNotGranted');
    this.putRole(name, next);
    this.changed();
  }

  // ------------------------------------------------------------------ reads

  user(name: string): User | undefined {
    return this.users.get(name);
  }

  userGet(name: string): string[] {
    const u = this.users.get(name);
    if (!u) throw etcdError('UserNotFound');
    return [...u.roles];
  }

  roleGet(name: string): KeyPermission[] {
    const perms = this.roles.get(name);
    if (!perms) throw etcdError('RoleNotFound');
    return perms;
  }

  userList(): string[] {
    return [...this.users.keys()].sort(compareBytes);
  }

  roleList(): string[] {
    return [...this.roles.keys()].sort(compareBytes);
  }

  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) === true;
  }

  /**
   * The first step of Authenticate on the member that received it: the revision the password was
   * checked at (the caller proposes, and retries if the revision moved meanwhile).
   */
  async checkPassword(
    name: string,
    password: string,
    verify: (pw: string, hash: string) => Promise<boolean>,
  ): Promise<number> {
    if (!this.enabledFlag) throw etcdError('AuthNotEnabled');
    const u = this.users.get(name);
    if (!u || u.noPassword) throw etcdError('AuthFailed');
    const rev = this.rev;
    if (!(await verify(password, u.password))) throw etcdError('AuthFailed');
    return rev;
  }

  // ------------------------------------------------------------------ permission checks

  /** The user a token names now; undefined for an unknown or expired token. */
  tokenUser(token: string): string | undefined {
    return this.tokenInfo(token)?.username;
  }

  /** Who a token names and at which auth revision (a JWT carries the one it was issued at). */
  tokenInfo(token: string): AuthInfo | undefined {
    return this.tokens.info(token, this.rev);
  }

  isAdminPermitted(ai: AuthInfo | null | undefined): void {
    if (!this.enabledFlag) return;
    if (!ai || ai.username === '') throw etcdError('UserEmpty');
    const u = this.users.get(ai.username);
    if (!u) throw etcdError('UserNotFound');
    if (!u.roles.includes(ROOT)) throw etcdError('PermissionDenied');
  }

  isAdmin(ai: AuthInfo | null | undefined): boolean {
    try {
      this.isAdminPermitted(ai);
      return true;
    } catch {
      return false;
    }
  }

  isRangePermitted(ai: AuthInfo | null | undefined, key: Uint8Array, rangeEnd?: Uint8Array | null): void {
    this.isOpPermitted(ai ?? NO_USER, key, rangeEnd, false);
  }

  isPutPermitted(ai: AuthInfo | null | undefined, key: Uint8Array): void {
    this.isOpPermitted(ai ?? NO_USER, key, null, true);
  }

  isDeleteRangePermitted(
    ai: AuthInfo | null | undefined,
    key: Uint8Array,
    rangeEnd?: Uint8Array | null,
  ): void {
    this.isOpPermitted(ai ?? NO_USER, key, rangeEnd, true);
  }

  private isOpPermitted(
    ai: AuthInfo,
    key: Uint8Array,
    rangeEnd: Uint8Array | null | undefined,
    write: boolean,
  ) {
    if (!this.enabledFlag) return;
    if (ai.revision === 0) throw etcdError('UserEmpty');
    if (ai.revision < this.rev) throw etcdError('AuthOldRevision');
    const u = this.users.get(ai.username);
    if (!u) throw etcdError('PermissionDenied');
    if (u.roles.includes(ROOT)) return;
    const perms = this.permCache.get(ai.username);
    const ok = perms !== undefined && (write ? perms.canWrite(key, rangeEnd) : perms.canRead(key, rangeEnd));
    if (!ok) throw etcdError('PermissionDenied');
  }

  // ------------------------------------------------------------------ persistence

  private putUser(u: User): void {
    this.users.set(u.name, u);
    const rec = authpb.User.encode({
      name: Buffer.from(u.name),
      password: Buffer.from(u.password),
      roles: u.roles,
      options: { noPassword: u.noPassword },
    }).finish();
    this.ns.users.put(Buffer.from(u.name), rec);
  }

  private putRole(name: string, perms: KeyPermission[]): void {
    this.roles.set(name, perms);
    const rec = authpb.Role.encode({
      name: Buffer.from(name),
      keyPermission: perms.map((p) => ({ permType: p.permType, key: p.key, rangeEnd: p.rangeEnd })),
    }).finish();
    this.ns.roles.put(Buffer.from(name), rec);
  }

  private commitRevision(): void {
    this.rev++;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(this.rev));
    this.ns.auth.put(REVISION_KEY, b);
  }

  private changed(): void {
    this.commitRevision();
    this.refreshPermCache();
  }

  private refreshPermCache(): void {
    const cache = new Map<string, RangePermissions>();
    for (const u of this.users.values()) {
      cache.set(u.name, new RangePermissions(u.roles.flatMap((r) => this.roles.get(r) ?? [])));
    }
    this.permCache = cache;
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

import type { Area, Op, State, UnaryOp } from './engine';
import { bytes, type Gen, genKey, genRangeEnd, prefixEnd } from './gen';
import { genDelete, genPut, genRange } from './kv-area';
import { genTxn } from './txn-area';

const USERS = ['root', 'u1', 'u2', ''];
const ROLES = ['root', 'r1', 'r2', ''];
const PASSWORDS = ['pw', 'pw2', ''];

interface AuthState {
  enabled: boolean;
  /**
   * Per role, an upper bound on its permissions (granted minus revoked calls that etcd accepted). etcd
   * keeps them sorted with Go's sort.Sort by key alone, stable only up to 12 entries, and which entry
   * its next grant updates depends on that order; so no role is given more than 12.
   */
  perms: Map<string, number>;
}
function as(s: State): AuthState {
  return (s.area.auth ??= { enabled: false, perms: new Map<string, number>() }) as AuthState;
}

function grantOrRevoke(g: Gen, s: State, role: string): Op {
  const a = as(s);
  if ((a.perms.get(role) ?? 0) >= 11 || g.chance(0.2)) {
    return admin(
      g,
      s,
      'RoleRevokePermission',
      { role, ...genPerm(g) },
      {
        after: (e, _o, st) => {
          if (e.ok) as(st).perms.set(role, Math.max(0, (as(st).perms.get(role) ?? 0) - 1));
        },
      },
    );
  }
  return admin(
    g,
    s,
    'RoleGrantPermission',
    { name: role, perm: { permType: g.int(3), ...genPerm(g) } },
    {
      after: (e, _o, st) => {
        if (e.ok) as(st).perms.set(role, (as(st).perms.get(role) ?? 0) + 1);
      },
    },
  );
}

/** Who sends a request: root mostly while auth is on, sometimes another user, sometimes nobody. */
function sender(g: Gen, s: State, adminBias: number): string | undefined {
  if (!as(s).enabled) return g.chance(0.1) ? g.pick(USERS.slice(0, 3)) : undefined;
  if (g.chance(adminBias)) return 'root';
  return g.weighted<string | undefined>([
    [3, 'u1'],
    [3, 'u2'],
    [1, 'root'],
    [1, undefined],
  ]);
}

/** A permission: one key, a range, a prefix, or from-key ("\0"). */
function genPerm(g: Gen): { key: Buffer; rangeEnd?: Buffer } {
  const key = genKey(g, 0.05);
  const end = g.weighted<string>([
    [3, ''],
    [2, genRangeEnd(g, key)],
    [2, prefixEnd(key)],
    [1, '\0'],
  ]);
  return { key: bytes(key), ...(end ? { rangeEnd: bytes(end) } : {}) };
}

function admin(
  g: Gen,
  s: State,
  method: string,
  req: Record<string, unknown>,
  extra: Partial<UnaryOp> = {},
): UnaryOp {
  return { kind: 'unary', service: 'Auth', method, req, as: sender(g, s, 0.85), ...extra };
}

function authOp(g: Gen, s: State): Op {
  const user = () => g.pick(USERS);
  const role = () => g.pick(ROLES);
  return g.weighted<() => Op>([
    // Few password writes: ours hashes with scrypt at a fixed cost (--bcrypt-cost is not honoured), ~80 ms each.
    [1, () => admin(g, s, 'UserAdd', { name: user(), password: g.pick(PASSWORDS) })],
    [0.5, () => admin(g, s, 'UserDelete', { name: user() })],
    [0.3, () => admin(g, s, 'UserChangePassword', { name: user(), password: g.pick(PASSWORDS) })],
    [3, () => admin(g, s, 'UserGrantRole', { user: user(), role: role() })],
    [1, () => admin(g, s, 'UserRevokeRole', { name: user(), role: role() })],
    [1, () => admin(g, s, 'UserGet', { name: user() })],
    [0.5, () => admin(g, s, 'UserList', {})],
    [3, () => admin(g, s, 'RoleAdd', { name: role() })],
    [
      0.5,
      () => {
        const r = role();
        return admin(
          g,
          s,
          'RoleDelete',
          { role: r },
          { after: (e, _o, st) => e.ok && as(st).perms.delete(r) },
        );
      },
    ],
    [1, () => admin(g, s, 'RoleGet', { role: role() })],
    [0.5, () => admin(g, s, 'RoleList', {})],
    [5, () => grantOrRevoke(g, s, role())],
    [
      1,
      () =>
        admin(
          g,
          s,
          'AuthEnable',
          {},
          {
            after: (e, _o, st) => {
              if (e.ok) as(st).enabled = true;
            },
          },
        ),
    ],
    [
      0.3,
      () =>
        admin(
          g,
          s,
          'AuthDisable',
          {},
          {
            after: (e, _o, st) => {
              if (e.ok) as(st).enabled = false;
            },
          },
        ),
    ],
    [
      2,
      () => {
        const name = g.chance(0.9) ? g.pick(USERS.slice(0, 3)) : user();
        // Mostly the password the generator tends to set ("pw"), so logins often succeed.
        const password = g.weighted<string>([
          [4, 'pw'],
          [1, 'pw2'],
          [1, 'wrong'],
        ]);
        return {
          kind: 'unary',
          service: 'Auth',
          method: 'Authenticate',
          req: { name, password },
          after: (e, o, st) => {
            if (e.ok && o.ok) st.tokens.set(name, { etcd: String(e.res.token), ours: String(o.res.token) });
          },
        } satisfies UnaryOp;
      },
    ],
    [2, () => asUser(g, s, 'Put', genPut(g, s))],
    [2, () => asUser(g, s, 'Range', genRange(g, s))],
    [1, () => asUser(g, s, 'DeleteRange', genDelete(g))],
    [1, () => asUser(g, s, 'Txn', genTxn(g, s, 0))],
  ])();
}

/**
 * Drops a range end that does not lie above its key, everywhere in a request. How etcd 3.4 checks an
 * empty or inverted range against permissions follows its interval tree's traversal, and neither "the
 * key alone" (ours) nor "any overlapping permission" matches it in every case: not compared here.
 */
function forwardRanges(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) forwardRanges(x);
  else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    const key = o.key as Buffer | undefined;
    const end = o.rangeEnd as Buffer | undefined;
    if (
      key &&
      end &&
      end.length > 0 &&
      !(end.length === 1 && end[0] === 0) &&
      Buffer.compare(end, key) <= 0
    ) {
      delete o.rangeEnd;
    }
    for (const x of Object.values(o)) forwardRanges(x);
  }
}

function asUser(g: Gen, s: State, method: string, req: Record<string, unknown>): UnaryOp {
  forwardRanges(req);
  return { kind: 'unary', service: 'KV', method, req, as: sender(g, s, 0.2) };
}

// Txns here have no nested txns: etcd 3.4.23 checks permissions only for a txn's own operations, not a
// nested txn's (an authorization bypass fixed in later etcd releases); ours checks nested ones too.

/**
 * Users, roles, permissions (key, range, prefix, from-key), enable/disable, grant/revoke, Authenticate
 * with right and wrong passwords, and KV requests by each user, so permission-denied answers are compared.
 */
export const authArea: Area = {
  name: 'auth',
  next: (g, s) => authOp(g, s),
};

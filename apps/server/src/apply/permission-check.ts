// The one place writes are authorized (etcd's authApplierV3): every committed request is checked against
// the auth store as it stands at apply time, as the user and auth revision its proposer put in the
// request header. A request proposed before a permission change therefore fails with "revision of auth
// store is old" rather than running with stale rights. Reads are checked at the API before reading.
import { type etcdserverpb, toInt64, toNumber } from '@kv/api-proto';
import type { Lessor } from '@kv/lease';
import type { AuthInfo, AuthStore } from '../auth/store.js';

type Req = etcdserverpb.InternalRaftRequest;

/** Requests only a user with the root role may make (etcd's needAdminPermission). */
export function needsAdmin(r: Req): boolean {
  return !!(
    r.authEnable ||
    r.authDisable ||
    r.authStatus ||
    r.authUserAdd ||
    r.authUserDelete ||
    r.authUserChangePassword ||
    r.authUserGrantRole ||
    r.authUserRevokeRole ||
    r.authRoleAdd ||
    r.authRoleGrantPermission ||
    r.authRoleRevokePermission ||
    r.authRoleDelete ||
    r.authUserList ||
    r.authRoleList
  );
}

/** Who proposed `r`, from its header (null: nobody, which fails every check while auth is enabled). */
export function proposer(r: Req): AuthInfo | null {
  const h = r.header;
  if (!h?.username) return null;
  return { username: h.username, revision: toNumber(h.authRevision) };
}

/** Throws the EtcdError etcd answers when the proposer may not make this request. */
export function checkPermission(auth: AuthStore, lessor: Lessor, r: Req): void {
  if (!auth.enabled) return;
  const ai = proposer(r);
  if (needsAdmin(r)) {
    auth.isAdminPermitted(ai);
    return;
  }
  if (r.put) checkPut(auth, lessor, ai, r.put);
  else if (r.deleteRange) checkDelete(auth, ai, r.deleteRange);
  else if (r.txn) checkTxn(auth, lessor, ai, r.txn);
  else if (r.range) auth.isRangePermitted(ai, r.range.key ?? Buffer.alloc(0), r.range.rangeEnd);
  else if (r.leaseRevoke) checkLeaseKeys(auth, lessor, ai, toInt64(r.leaseRevoke.ID));
  else if (r.authUserGet) {
    // A caller without a token is user "" to etcd, so asking for user "" passes this check.
    if (!auth.isAdmin(ai) && (r.authUserGet.name ?? '') !== (ai?.username ?? '')) auth.isAdminPermitted(ai);
  } else if (r.authRoleGet) {
    if (!auth.isAdmin(ai) && !auth.hasRole(ai?.username ?? '', r.authRoleGet.role ?? ''))
      auth.isAdminPermitted(ai);
  }
}

function checkPut(auth: AuthStore, lessor: Lessor, ai: AuthInfo | null, p: etcdserverpb.IPutRequest): void {
  auth.isPutPermitted(ai, p.key ?? Buffer.alloc(0));
  const lease = toInt64(p.lease);
  if (lease !== 0n) checkLeaseKeys(auth, lessor, ai, lease);
  if (p.prevKv) auth.isRangePermitted(ai, p.key ?? Buffer.alloc(0), null);
}

function checkDelete(auth: AuthStore, ai: AuthInfo | null, d: etcdserverpb.IDeleteRangeRequest): void {
  auth.isDeleteRangePermitted(ai, d.key ?? Buffer.alloc(0), d.rangeEnd);
  if (d.prevKv) auth.isRangePermitted(ai, d.key ?? Buffer.alloc(0), d.rangeEnd);
}

/** A txn needs read rights on every compare and rights for every op of both branches, nested ones too. */
export function checkTxn(
  auth: AuthStore,
  lessor: Lessor,
  ai: AuthInfo | null,
  t: etcdserverpb.ITxnRequest,
): void {
  for (const c of t.compare ?? []) auth.isRangePermitted(ai, c.key ?? Buffer.alloc(0), c.rangeEnd);
  for (const ops of [t.success, t.failure]) {
    for (const op of ops ?? []) {
      if (op.requestRange)
        auth.isRangePermitted(ai, op.requestRange.key ?? Buffer.alloc(0), op.requestRange.rangeEnd);
      else if (op.requestPut) checkPut(auth, lessor, ai, op.requestPut);
      else if (op.requestDeleteRange) checkDelete(auth, ai, op.requestDeleteRange);
      else if (op.requestTxn) checkTxn(auth, lessor, ai, op.requestTxn);
    }
  }
}

/** Touching a lease (revoking it, attaching a key) needs write rights on every key it holds. */
export function checkLeaseKeys(auth: AuthStore, lessor: Lessor, ai: AuthInfo | null, id: bigint): void {
  if (!lessor.has(id) || auth.isAdmin(ai)) return;
  for (const key of lessor.keysOf(id)) auth.isPutPermitted(ai, key);
}

import { etcdserverpb, toInt64, toLong, toNumber, toUint64 } from '@kv/api-proto';
import {
  encodeLeaseKey,
  encodeLeaseRecord,
  LeaseExistsError,
  LeaseNotFoundError,
  type LeaseRecordChange,
  LeaseTTLTooLargeError,
  type Lessor,
} from '@kv/lease';
import {
  ErrCompacted,
  ErrDuplicateKey,
  ErrFutureRev,
  ErrKeyNotFound,
  type Event,
  type Namespace,
  type WatchableStore,
} from '@kv/mvcc';
import type { AuthStore } from '../auth/store.js';
import { EtcdError, etcdError } from '../errors.js';
import {
  deleteFromPb,
  deleteRespToPb,
  type Header,
  putFromPb,
  putRespToPb,
  rangeFromPb,
  rangeRespToPb,
  txnFromPb,
  txnRespToPb,
} from './pb-convert.js';
import { checkPermission, needsAdmin } from './permission-check.js';
import { txnCost } from './quota.js';

/** What a proposal's waiter receives once its entry is applied. */
export interface ApplyResult {
  resp?: unknown;
  err?: Error;
  /** Compaction: settles when the physical removal is done (physical=true waits for it). */
  physical?: Promise<void>;
}

export interface ApplierDeps {
  kv: WatchableStore;
  lessor: Lessor;
  leaseNs: Namespace;
  auth: AuthStore;
  /** The response header of this member (cluster and member IDs, raft term); revision is filled in. */
  header(): Header;
  /** A member published its name and client URLs. */
  onMemberAttributes(id: bigint, name: string, clientUrls: string[]): void;
  /** Alarms raised or cleared through raft. */
  onAlarm(req: etcdserverpb.AlarmRequest.$Properties): etcdserverpb.AlarmResponse.$Properties;
  /** Whether NOSPACE is raised: puts, txns with puts and lease grants then fail (etcd's capped applier). */
  noSpace?(): boolean;
}

/** Translates store and lessor errors into the gRPC errors etcd sends. */
export function toEtcdError(err: unknown): Error {
  if (err instanceof EtcdError) return err;
  if (err instanceof ErrCompacted) return etcdError('Compacted');
  if (err instanceof ErrFutureRev) return etcdError('FutureRev');
  if (err instanceof ErrKeyNotFound) return etcdError('KeyNotFound');
  if (err instanceof ErrDuplicateKey) return etcdError('DuplicateKey');
  if (err instanceof LeaseNotFoundError) return etcdError('LeaseNotFound');
  if (err instanceof LeaseExistsError) return etcdError('LeaseExist');
  if (err instanceof LeaseTTLTooLargeError) return etcdError('LeaseTTLTooLarge');
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * etcd's applierV3: turns one committed InternalRaftRequest into store and lessor calls. Every change lands
 * in the backend's pending batch; the caller commits the batch once per applied Ready, with the
 * consistent index, so a crash replays from the last committed batch.
 */
export class Applier {
  private readonly checks;

  constructor(private readonly d: ApplierDeps) {
    this.checks = {
      checkLease: (lease: bigint) => (d.lessor.has(lease) ? undefined : etcdError('LeaseNotFound')),
    };
    // Keys follow their lease: every write transaction's events attach and detach keys. The store exposes
    // this hook only to subclasses, so it is wrapped on the instance.
    const store = d.kv as unknown as { notify(rev: number, events: Event[]): void };
    const original = store.notify.bind(store);
    store.notify = (rev, events) => {
      this.trackLeases(events);
      original(rev, events);
    };
  }

  private trackLeases(events: Event[]): void {
    const lessor = this.d.lessor;
    for (const ev of events) {
      const key = ev.kv.key;
      const old = lessor.getLease(key);
      if (ev.type === 'PUT' && ev.kv.lease !== 0n) {
        if (old !== ev.kv.lease) lessor.attach(ev.kv.lease, [key]);
      } else if (old !== 0n) {
        lessor.detach(old, [key]);
      }
    }
  }

  /** Applies the request of raft entry `index` (Authenticate names its token after the index). */
  apply(req: etcdserverpb.InternalRaftRequest, index: number): ApplyResult {
    try {
      // etcd's applierV3Capped wraps the auth applier, so NOSPACE comes before permission errors
      if (this.d.noSpace?.() && costsSpace(req)) return { err: etcdError('NoSpace') };
      checkPermission(this.d.auth, this.d.lessor, req);
      if (isAuthRequest(req)) return this.applyAuth(req, index);
      return this.dispatch(req);
    } catch (err) {
      return { err: toEtcdError(err) };
    }
  }

  private header(revision: number): Header {
    return { ...this.d.header(), revision };
  }

  private dispatch(r: etcdserverpb.InternalRaftRequest): ApplyResult {
    const kv = this.d.kv;
    if (r.put) {
      return { resp: putRespToPb(kv.put(putFromPb(r.put), this.checks), this.d.header()) };
    }
    if (r.deleteRange)
      return { resp: deleteRespToPb(kv.deleteRange(deleteFromPb(r.deleteRange)), this.d.header()) };
    if (r.txn) return { resp: txnRespToPb(kv.txn(txnFromPb(r.txn), this.checks), this.d.header()) };
    if (r.range) return { resp: rangeRespToPb(kv.range(rangeFromPb(r.range)), this.d.header()) };
    if (r.compaction) {
      const physical = kv.compact(toNumber(r.compaction.revision));
      physical.catch(() => {});
      return { resp: { header: this.header(kv.rev) }, physical };
    }
    if (r.leaseGrant) {
      const g = this.d.lessor.grant(toInt64(r.leaseGrant.ID), toNumber(r.leaseGrant.TTL));
      this.writeLease(g.change);
      return { resp: { header: this.header(kv.rev), ID: toLong(g.id), TTL: g.ttl } };
    }
    if (r.leaseRevoke) {
      const { keys, change } = this.d.lessor.revoke(toInt64(r.leaseRevoke.ID));
      if (keys.length > 0) {
        const txn = kv.write();
        try {
          for (const k of keys) txn.deleteRange(k, undefined);
        } finally {
          txn.end();
        }
      }
      this.writeLease(change);
      return { resp: { header: this.header(kv.rev) } };
    }
    if (r.leaseCheckpoint) {
      for (const c of r.leaseCheckpoint.checkpoints ?? []) {
        const change = this.d.lessor.checkpoint(toInt64(c.ID), toNumber(c.remaining_TTL));
        if (change) this.writeLease(change);
      }
      return { resp: { header: this.header(kv.rev) } };
    }
    if (r.alarm) return { resp: { ...this.d.onAlarm(r.alarm), header: this.header(kv.rev) } };
    if (r.clusterMemberAttrSet) {
      const a = r.clusterMemberAttrSet;
      this.d.onMemberAttributes(
        toUint64(a.member_ID),
        a.memberAttributes?.name ?? '',
        a.memberAttributes?.clientUrls ?? [],
      );
      return { resp: {} };
    }
    return { err: new Error('etcdserver: unsupported request in the raft log') };
  }

  /** User, role and auth switch requests (etcd's applierV3backend Auth* methods). */
  private applyAuth(r: etcdserverpb.InternalRaftRequest, index: number): ApplyResult {
    const a = this.d.auth;
    const ok = () => ({ resp: { header: this.header(this.d.kv.rev) } });
    if (r.authenticate) {
      const token = a.authenticate(r.authenticate.name ?? '', r.authenticate.simpleToken ?? '', index);
      return { resp: { header: this.header(this.d.kv.rev), token } };
    }
    if (r.authEnable) {
      a.enable();
      return ok();
    }
    if (r.authDisable) {
      a.disable();
      return ok();
    }
    if (r.authStatus) {
      return { resp: { header: this.header(this.d.kv.rev), enabled: a.enabled, authRevision: a.revision } };
    }
    if (r.authUserAdd) {
      const u = r.authUserAdd;
      a.userAdd(u.name ?? '', u.hashedPassword ?? '', u.options?.noPassword === true);
      return ok();
    }
    if (r.authUserDelete) {
      a.userDelete(r.authUserDelete.name ?? '');
      return ok();
    }
    if (r.authUserChangePassword) {
      a.userChangePassword(
        r.authUserChangePassword.name ?? '',
        r.authUserChangePassword.hashedPassword ?? '',
      );
      return ok();
    }
    if (r.authUserGrantRole) {
      a.userGrantRole(r.authUserGrantRole.user ?? '', r.authUserGrantRole.role ?? '');
      return ok();
    }
    if (r.authUserRevokeRole) {
      a.userRevokeRole(r.authUserRevokeRole.name ?? '', r.authUserRevokeRole.role ?? '');
      return ok();
    }
    if (r.authUserGet)
      return { resp: { header: this.header(this.d.kv.rev), roles: a.userGet(r.authUserGet.name ?? '') } };
    if (r.authUserList) return { resp: { header: this.header(this.d.kv.rev), users: a.userList() } };
    if (r.authRoleList) return { resp: { header: this.header(this.d.kv.rev), roles: a.roleList() } };
    if (r.authRoleAdd) {
      a.roleAdd(r.authRoleAdd.name ?? '');
      return ok();
    }
    if (r.authRoleDelete) {
      a.roleDelete(r.authRoleDelete.role ?? '');
      return ok();
    }
    if (r.authRoleGet)
      return { resp: { header: this.header(this.d.kv.rev), perm: a.roleGet(r.authRoleGet.role ?? '') } };
    if (r.authRoleGrantPermission) {
      const p = r.authRoleGrantPermission.perm;
      a.roleGrantPermission(
        r.authRoleGrantPermission.name ?? '',
        p ? { permType: p.permType ?? 0, key: p.key ?? EMPTY, rangeEnd: p.rangeEnd ?? EMPTY } : null,
      );
      return ok();
    }
    const rv = r.authRoleRevokePermission!;
    a.roleRevokePermission(rv.role ?? '', rv.key ?? EMPTY, rv.rangeEnd ?? EMPTY);
    return ok();
  }

  private writeLease(change: LeaseRecordChange): void {
    if ('put' in change) this.d.leaseNs.put(encodeLeaseKey(change.put.id), encodeLeaseRecord(change.put));
    else this.d.leaseNs.del(encodeLeaseKey(change.delete));
  }
}

const EMPTY = Buffer.alloc(0);

/** The auth store's own requests: the admin-only ones plus those any user may make. */
function isAuthRequest(r: etcdserverpb.InternalRaftRequest): boolean {
  return needsAdmin(r) || !!(r.authenticate || r.authUserGet || r.authRoleGet);
}

export function decodeRequest(data: Uint8Array): etcdserverpb.InternalRaftRequest {
  return etcdserverpb.InternalRaftRequest.decode(data);
}

/** Requests etcd refuses while NOSPACE is raised (those with a quota cost). */
function costsSpace(r: etcdserverpb.InternalRaftRequest): boolean {
  return r.put != null || r.leaseGrant != null || (r.txn != null && txnCost(r.txn) > 0);
}

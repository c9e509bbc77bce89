// v3lock Lock service, as etcd builds it on its own client: the lock is the key "<name>/<lease hex>"
// attached to the caller's lease; the holder is the key with the lowest create revision under "<name>/",
// and a waiter blocks until every key created before its own is deleted.
import { etcdserverpb, Lock, toInt64, toLong, toNumber, type v3lockpb } from '@kv/api-proto';
import type { CallContext } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';
import { checkDelete } from './kv-checks';
import { authorizePrefix, CompareResult, CompareTarget, firstCreate, txn, waitDeletes } from './recipes';

/** The key a session with `lease` queues under `prefix` ("name/"), as clientv3/concurrency names it. */
export function sessionKey(prefix: Buffer, lease: bigint): Buffer {
  return Buffer.concat([prefix, Buffer.from(lease.toString(16))]);
}

/** A lease for callers that pass none (etcd's session default TTL is 60 s). */
export async function leaseOrGrant(server: EtcdServerApi, lease: bigint): Promise<bigint> {
  if (lease !== 0n) return lease;
  const g = await server.leaseGrant(etcdserverpb.LeaseGrantRequest.fromObject({ TTL: 60 }));
  return toInt64(g.ID as any);
}

export function addLock(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Lock.Lock, async (req: v3lockpb.LockRequest, ctx: CallContext) => {
    const prefix = Buffer.concat([Buffer.from(req.name), Buffer.from('/')]);
    await authorizePrefix(server, ctx, prefix, 'readwrite');
    const lease = await leaseOrGrant(server, toInt64(req.lease));
    const key = sessionKey(prefix, lease);
    const resp = await txn(server, {
      compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 }],
      success: [
        { requestPut: { key, value: Buffer.alloc(0), lease: toLong(lease) } },
        { requestRange: firstCreate(prefix) },
      ],
      failure: [{ requestRange: { key } }, { requestRange: firstCreate(prefix) }],
    });
    const responses = resp.responses ?? [];
    let myRev = toNumber(resp.header!.revision as any);
    if (!resp.succeeded) myRev = toNumber(responses[0]!.responseRange!.kvs![0]!.createRevision as any);
    const owner = responses[1]?.responseRange?.kvs ?? [];
    if (owner.length === 0 || toNumber(owner[0]!.createRevision as any) === myRev) {
      return { header: resp.header, key };
    }
    try {
      const header = await waitDeletes(server, prefix, myRev - 1, ctx);
      return { header, key };
    } catch (e) {
      // Give up our place in the queue, as etcd's Mutex does when its wait fails.
      await server.deleteRange(etcdserverpb.DeleteRangeRequest.fromObject({ key })).catch(() => {});
      throw e;
    }
  });
  unary(table, Lock.Unlock, async (req: v3lockpb.UnlockRequest, ctx: CallContext) => {
    // etcd's lock service deletes through its own client, so the KV checks come first.
    checkDelete({ key: req.key });
    const p = server.authorize(ctx, req.key, Buffer.alloc(0), 'write');
    if (p !== undefined) await p;
    const resp = await server.deleteRange(etcdserverpb.DeleteRangeRequest.fromObject({ key: req.key }));
    return { header: resp.header };
  });
}

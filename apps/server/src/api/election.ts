// v3election Election service, as etcd builds it on clientv3/concurrency: a candidate's key is
// "<name>/<lease hex>" holding its proclaimed value; the leader is the oldest key under "<name>/".
import {
  Election,
  type etcdserverpb,
  type mvccpb,
  toInt64,
  toLong,
  toNumber,
  type v3electionpb,
} from '@kv/api-proto';
import type { CallContext, ServerStream } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, stream, unary } from './handlers';
import { leaseOrGrant, sessionKey } from './lock';
import {
  authorizePrefix,
  type Cancellation,
  CompareResult,
  CompareTarget,
  EventQueue,
  EventType,
  firstCreate,
  prefixEnd,
  range,
  txn,
  waitDeletes,
} from './recipes';

// etcd's election errors are plain Go errors, so clients see them as UNKNOWN with these texts.
const ErrElectionNotLeader = 'election: not leader';
const ErrElectionNoLeader = 'election: no leader';
const ErrMissingLeaderKey = '"leader" field must be provided';

function prefixOf(name: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(name), Buffer.from('/')]);
}

async function proclaim(
  server: EtcdServerApi,
  key: Uint8Array,
  rev: number,
  lease: bigint,
  value: Uint8Array,
): Promise<etcdserverpb.ITxnResponse> {
  const resp = await txn(server, {
    compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: rev }],
    success: [{ requestPut: { key, value, lease: toLong(lease) } }],
  });
  if (!resp.succeeded) throw new Error(ErrElectionNotLeader);
  return resp;
}

async function resign(
  server: EtcdServerApi,
  key: Uint8Array,
  rev: number,
): Promise<etcdserverpb.ITxnResponse> {
  return txn(server, {
    compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: rev }],
    success: [{ requestDeleteRange: { key } }],
  });
}

export function addElection(table: HandlerTable, server: EtcdServerApi): void {
  unary(table, Election.Campaign, async (req: v3electionpb.CampaignRequest, ctx: CallContext) => {
    const prefix = prefixOf(req.name);
    await authorizePrefix(server, ctx, prefix, 'readwrite');
    const lease = await leaseOrGrant(server, toInt64(req.lease));
    const key = sessionKey(prefix, lease);
    const value = Buffer.from(req.value ?? []);
    const resp = await txn(server, {
      compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 }],
      success: [{ requestPut: { key, value, lease: toLong(lease) } }],
      failure: [{ requestRange: { key } }],
    });
    let rev = toNumber(resp.header!.revision as any);
    if (!resp.succeeded) {
      const kv = resp.responses![0]!.responseRange!.kvs![0]!;
      rev = toNumber(kv.createRevision as any);
      if (!value.equals(Buffer.from(kv.value ?? []))) {
        try {
          await proclaim(server, key, rev, lease, value);
        } catch (e) {
          await resign(server, key, rev).catch(() => {});
          throw e;
        }
      }
    }
    try {
      await waitDeletes(server, prefix, rev - 1, ctx);
    } catch (e) {
      if (ctx.cancelled) await resign(server, key, rev).catch(() => {});
      throw e;
    }
    return { header: resp.header, leader: { name: req.name, key, rev, lease: toLong(lease) } };
  });

  unary(table, Election.Proclaim, async (req: v3electionpb.ProclaimRequest, ctx: CallContext) => {
    const l = req.leader;
    if (!l) throw new Error(ErrMissingLeaderKey);
    await authorizePrefix(server, ctx, prefixOf(req.leader?.name ?? Buffer.alloc(0)), 'readwrite');
    const resp = await proclaim(
      server,
      l.key ?? Buffer.alloc(0),
      toNumber(l.rev),
      toInt64(l.lease),
      req.value ?? Buffer.alloc(0),
    );
    return { header: resp.header };
  });

  unary(table, Election.Resign, async (req: v3electionpb.ResignRequest, ctx: CallContext) => {
    const l = req.leader;
    if (!l) throw new Error(ErrMissingLeaderKey);
    await authorizePrefix(server, ctx, prefixOf(l.name ?? Buffer.alloc(0)), 'readwrite');
    const resp = await resign(server, l.key ?? Buffer.alloc(0), toNumber(l.rev));
    return { header: resp.header };
  });

  unary(table, Election.Leader, async (req: v3electionpb.LeaderRequest, ctx: CallContext) => {
    await authorizePrefix(server, ctx, prefixOf(req.name), 'read');
    const resp = await range(server, firstCreate(prefixOf(req.name)));
    const kvs = resp.kvs ?? [];
    if (kvs.length === 0) throw new Error(ErrElectionNoLeader);
    return { header: resp.header, kv: kvs[0] };
  });

  stream(
    table,
    Election.Observe,
    (call: ServerStream<v3electionpb.LeaderRequest, v3electionpb.ILeaderResponse>) => {
      let started = false;
      const cancel: Cancellation = {
        cancelled: false,
        onCancel(f) {
          fns.push(f);
        },
      };
      const fns: (() => void)[] = [];
      call.oncancel = () => {
        cancel.cancelled = true;
        for (const f of fns.splice(0)) f();
      };
      call.onmessage = (req) => {
        if (started) return;
        started = true;
        authorizePrefix(server, call, prefixOf(req.name), 'read')
          .then(() => observe(server, prefixOf(req.name), call, cancel))
          .then(
            () => call.end(),
            (e) => call.end(cancel.cancelled ? undefined : e),
          );
      };
    },
  );
}

/** Streams the leader, then each change of its value, then the next leader after it resigns or expires. */
async function observe(
  server: EtcdServerApi,
  prefix: Buffer,
  call: ServerStream<any, v3electionpb.ILeaderResponse>,
  cancel: Cancellation,
): Promise<void> {
  while (!cancel.cancelled) {
    const resp = await range(server, firstCreate(prefix));
    let kv: mvccpb.IKeyValue | undefined = resp.kvs?.[0];
    let header = resp.header!;
    if (kv === undefined) {
      const q = new EventQueue(server, prefix, prefixEnd(prefix), toNumber(header.revision as any), cancel);
      try {
        while (kv === undefined) {
          const b = await q.next();
          const put = b.events.find((ev) => (ev.type ?? 0) === EventType.PUT);
          if (put) {
            kv = put.kv!;
            header = { ...b.header, revision: kv.modRevision };
          }
        }
      } finally {
        q.close();
      }
    }
    if (!call.write({ header, kv })) await call.drained();
    const q = new EventQueue(server, kv.key!, Buffer.alloc(0), toNumber(header.revision as any) + 1, cancel);
    try {
      let deleted = false;
      while (!deleted) {
        const b = await q.next();
        for (const ev of b.events) {
          if ((ev.type ?? 0) === EventType.DELETE) {
            deleted = true;
            break;
          }
          if (!call.write({ header: b.header, kv: ev.kv })) await call.drained();
        }
      }
    } finally {
      q.close();
    }
  }
}

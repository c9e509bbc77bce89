// KV service: etcd's request checks, then straight to the core.
import { type etcdserverpb, KV } from '@kv/api-proto';
import { etcdError } from '../errors';
import type { CallContext } from '../frontend/grpc-server';
import type { EtcdServerApi } from '../server-api';
import { type HandlerTable, unary } from './handlers';
import { checkDelete, checkPut, checkRange, checkTxn, type KvLimits } from './kv-checks';

export interface KvOptions extends KvLimits {
  /** --max-request-bytes: larger write requests fail with "etcdserver: request is too large". */
  maxRequestBytes: number;
}

export function addKv(table: HandlerTable, server: EtcdServerApi, opts: KvOptions): void {
  const max = opts.maxRequestBytes;
  unary(table, KV.Range, (req: etcdserverpb.RangeRequest, ctx: CallContext) => {
    checkRange(req);
    return server.range(req, ctx);
  });
  unary(table, KV.Put, (req: etcdserverpb.PutRequest, ctx: CallContext) => {
    checkPut(req);
    if (ctx.size > max) throw etcdError('RequestTooLarge');
    return server.put(req, ctx);
  });
  unary(table, KV.DeleteRange, (req: etcdserverpb.DeleteRangeRequest, ctx: CallContext) => {
    checkDelete(req);
    if (ctx.size > max) throw etcdError('RequestTooLarge');
    return server.deleteRange(req, ctx);
  });
  unary(table, KV.Txn, (req: etcdserverpb.TxnRequest, ctx: CallContext) => {
    checkTxn(req, opts);
    if (ctx.size > max) throw etcdError('RequestTooLarge');
    return server.txn(req, ctx);
  });
  unary(table, KV.Compact, (req: etcdserverpb.CompactionRequest, ctx: CallContext) =>
    server.compact(req, ctx),
  );
}

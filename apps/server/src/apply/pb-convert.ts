import { type etcdserverpb, type mvccpb, toInt64, toLong, toNumber } from '@kv/api-proto';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '@kv/mvcc';

// The wire (protobufjs) forms of KV requests to the store's plain types and back. int64 fields arrive as
// Long or number; lease IDs are bigint in the store, revisions are numbers.
const EMPTY = Buffer.alloc(0);
const bytes = (b: Uint8Array | null | undefined): Uint8Array => b ?? EMPTY;
const optBytes = (b: Uint8Array | null | undefined): Uint8Array | undefined =>
  b && b.length > 0 ? b : undefined;

type PbRange = etcdserverpb.RangeRequest.$Properties;
type PbPut = etcdserverpb.PutRequest.$Properties;
type PbDelete = etcdserverpb.DeleteRangeRequest.$Properties;
type PbTxn = etcdserverpb.TxnRequest.$Properties;
type PbCompare = etcdserverpb.Compare.$Properties;
type PbRequestOp = etcdserverpb.RequestOp.$Properties;

export function rangeFromPb(r: PbRange): RangeRequest {
  return {
    key: bytes(r.key),
    rangeEnd: optBytes(r.rangeEnd),
    limit: toNumber(r.limit),
    revision: toNumber(r.revision),
    sortOrder: (r.sortOrder ?? 0) as RangeRequest['sortOrder'],
    sortTarget: (r.sortTarget ?? 0) as RangeRequest['sortTarget'],
    keysOnly: r.keysOnly === true,
    countOnly: r.countOnly === true,
    minModRevision: toNumber(r.minModRevision),
    maxModRevision: toNumber(r.maxModRevision),
    minCreateRevision: toNumber(r.minCreateRevision),
    maxCreateRevision: toNumber(r.maxCreateRevision),
  };
}

export function putFromPb(p: PbPut): PutRequest {
  return {
    key: bytes(p.key),
    value: bytes(p.value),
    lease: toInt64(p.lease),
    prevKv: p.prevKv === true,
    ignoreValue: p.ignoreValue === true,
    ignoreLease: p.ignoreLease === true,
  };
}

export function deleteFromPb(d: PbDelete): DeleteRangeRequest {
  return { key: bytes(d.key), rangeEnd: optBytes(d.rangeEnd), prevKv: d.prevKv === true };
}

function compareFromPb(c: PbCompare): Compare {
  return {
    key: bytes(c.key),
    rangeEnd: optBytes(c.rangeEnd),
    target: (c.target ?? 0) as Compare['target'],
    result: (c.result ?? 0) as Compare['result'],
    version: toNumber(c.version),
    createRevision: toNumber(c.createRevision),
    modRevision: toNumber(c.modRevision),
    value: bytes(c.value),
    lease: toInt64(c.lease),
  };
}

function opFromPb(op: PbRequestOp): RequestOp {
  if (op.requestRange) return { range: rangeFromPb(op.requestRange) };
  if (op.requestPut) return { put: putFromPb(op.requestPut) };
  if (op.requestDeleteRange) return { deleteRange: deleteFromPb(op.requestDeleteRange) };
  if (op.requestTxn) return { txn: txnFromPb(op.requestTxn) };
  // An empty RequestOp is a range of the empty key in etcd's decoding; treat it the same.
  return { range: { key: EMPTY } };
}

export function txnFromPb(t: PbTxn): TxnRequest {
  return {
    compare: (t.compare ?? []).map(compareFromPb),
    success: (t.success ?? []).map(opFromPb),
    failure: (t.failure ?? []).map(opFromPb),
  };
}

export function kvToPb(kv: KeyValue): mvccpb.KeyValue.$Properties {
  return {
    key: kv.key,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease === 0n ? 0 : toLong(kv.lease),
  };
}

export type Header = etcdserverpb.ResponseHeader.$Properties;

export function rangeRespToPb(r: RangeResponse, header: Header): etcdserverpb.RangeResponse.$Properties {
  return {
    header: { ...header, revision: r.revision },
    kvs: r.kvs.map(kvToPb),
    more: r.more,
    count: r.count,
  };
}

export function putRespToPb(r: PutResponse, header: Header): etcdserverpb.PutResponse.$Properties {
  return { header: { ...header, revision: r.revision }, prevKv: r.prevKv ? kvToPb(r.prevKv) : undefined };
}

export function deleteRespToPb(
  r: DeleteRangeResponse,
  header: Header,
): etcdserverpb.DeleteRangeResponse.$Properties {
  return { header: { ...header, revision: r.revision }, deleted: r.deleted, prevKvs: r.prevKvs.map(kvToPb) };
}

function opRespToPb(op: ResponseOp, header: Header): etcdserverpb.ResponseOp.$Properties {
  if ('range' in op) return { responseRange: rangeRespToPb(op.range, header) };
  if ('put' in op) return { responsePut: putRespToPb(op.put, header) };
  if ('deleteRange' in op) return { responseDeleteRange: deleteRespToPb(op.deleteRange, header) };
  return { responseTxn: txnRespToPb(op.txn, header) };
}

export function txnRespToPb(r: TxnResponse, header: Header): etcdserverpb.TxnResponse.$Properties {
  const h = { ...header, revision: r.revision };
  // etcd fills cluster, member and term into the outermost header only: its operations' headers
  // carry just their revision (etcdctl -w json/fields shows them)
  return { header: h, succeeded: r.succeeded, responses: r.responses.map((op) => opRespToPb(op, {})) };
}

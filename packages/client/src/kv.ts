// Range, put and delete: the request options, their wire form and the typed results.
// Kept apart from the client so Txn operations and the Namespace wrapper reuse exactly the same mapping.
import { type Bytes, keyRange, type RangeSelector, toBuffer } from './key-range';
import { headerFromWire, type KeyValue, kvFromWire, type ResponseHeader, wireNum } from './key-value';

/** Field to sort a range by. */
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';
/** Sort direction; `none` keeps etcd's key order. */
export type SortOrder = 'none' | 'ascend' | 'descend';

const sortTargets: Record<SortTarget, number> = { key: 0, version: 1, create: 2, mod: 3, value: 4 };
const sortOrders: Record<SortOrder, number> = { none: 0, ascend: 1, descend: 2 };

/** A lease given by ID or as any object that has one (a `Lease`). */
export type LeaseRef = bigint | { readonly id: bigint };
/** @internal */
export const leaseId = (l: LeaseRef | undefined): bigint =>
  l === undefined ? 0n : typeof l === 'bigint' ? l : l.id;

/** Options of a range read (`get`). */
export interface GetOptions extends RangeSelector {
  /** At most this many keys (0: no limit). */
  limit?: number;
  /** Read the store as of this revision (0: latest). */
  revision?: number;
  /** Order of the returned keys. */
  sort?: { target?: SortTarget; order?: SortOrder };
  /** Serve from the member's local state without a quorum round (may be stale). */
  serializable?: boolean;
  /** Return keys and metadata without values. */
  keysOnly?: boolean;
  /** Return only the count. */
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** Result of `get`. */
export interface GetResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  /** More keys matched than `limit` allowed. */
  more: boolean;
  /** Number of keys in the range (regardless of limit). */
  count: number;
}

/** Options of `put`. */
export interface PutOptions {
  /** Attach the key to this lease. */
  lease?: LeaseRef;
  /** Return the previous key-value in the response. */
  prevKv?: boolean;
  /** Keep the current value (the key must exist); only update the lease. */
  ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  ignoreLease?: boolean;
}

/** Result of `put`. */
export interface PutResponse {
  header: ResponseHeader;
  prevKv?: KeyValue;
}

/** Options of `delete`. */
export interface DeleteOptions extends RangeSelector {
  /** Return the deleted key-values. */
  prevKv?: boolean;
}

/** Result of `delete`. */
export interface DeleteResponse {
  header: ResponseHeader;
  /** Number of keys deleted. */
  deleted: number;
  prevKvs: KeyValue[];
}

/** @internal */
export function rangeRequest(key: Bytes, o: GetOptions = {}): object {
  const r = keyRange(key, o);
  // Only non-default fields: proto3 leaves zero values off the wire anyway.
  const req: Record<string, unknown> = { key: r.key };
  if (r.rangeEnd.length) req.rangeEnd = r.rangeEnd;
  if (o.limit) req.limit = o.limit;
  if (o.revision) req.revision = o.revision;
  if (o.sort) {
    req.sortOrder = sortOrders[o.sort.order ?? (o.sort.target ? 'ascend' : 'none')];
    req.sortTarget = sortTargets[o.sort.target ?? 'key'];
  }
  if (o.serializable) req.serializable = true;
  if (o.keysOnly) req.keysOnly = true;
  if (o.countOnly) req.countOnly = true;
  if (o.minModRevision) req.minModRevision = o.minModRevision;
  if (o.maxModRevision) req.maxModRevision = o.maxModRevision;
  if (o.minCreateRevision) req.minCreateRevision = o.minCreateRevision;
  if (o.maxCreateRevision) req.maxCreateRevision = o.maxCreateRevision;
  return req;
}

/** @internal */
export function putRequest(key: Bytes, value: Bytes, o: PutOptions = {}): object {
  const req: Record<string, unknown> = { key: toBuffer(key), value: toBuffer(value) };
  const lease = leaseId(o.lease);
  if (lease) req.lease = lease;
  if (o.prevKv) req.prevKv = true;
  if (o.ignoreValue) req.ignoreValue = true;
  if (o.ignoreLease) req.ignoreLease = true;
  return req;
}

/** @internal */
export function deleteRequest(key: Bytes, o: DeleteOptions = {}): object {
  const r = keyRange(key, o);
  const req: Record<string, unknown> = { key: r.key };
  if (r.rangeEnd.length) req.rangeEnd = r.rangeEnd;
  if (o.prevKv) req.prevKv = true;
  return req;
}

/** @internal */
export function getResponse(w: any): GetResponse {
  return {
    header: headerFromWire(w.header),
    kvs: (w.kvs ?? []).map(kvFromWire),
    more: !!w.more,
    count: wireNum(w.count),
  };
}

/** @internal */
export function putResponse(w: any): PutResponse {
  const out: PutResponse = { header: headerFromWire(w.header) };
  if (w.prevKv) out.prevKv = kvFromWire(w.prevKv);
  return out;
}

/** @internal */
export function deleteResponse(w: any): DeleteResponse {
  return {
    header: headerFromWire(w.header),
    deleted: wireNum(w.deleted),
    prevKvs: (w.prevKvs ?? []).map(kvFromWire),
  };
}

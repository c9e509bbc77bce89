// Transactions: comparisons, operations and the fluent builder
// `client.txn().if(...).then(...).else(...).commit()`.
// A transaction is plain data (TxnSpec) until commit, which lets Namespace rewrite it and lets
// operations nest whole transactions.
import { type Bytes, keyRange, type RangeSelector, toBuffer } from './key-range';
import { headerFromWire, type ResponseHeader } from './key-value';
import {
  type DeleteOptions,
  type DeleteResponse,
  deleteRequest,
  deleteResponse,
  type GetOptions,
  type GetResponse,
  getResponse,
  type LeaseRef,
  leaseId,
  type PutOptions,
  type PutResponse,
  putRequest,
  putResponse,
  rangeRequest,
} from './kv';
import type { CallOptions } from './rpc';

/** Comparison operator of a transaction guard. */
export type CompareOp = '=' | '!=' | '>' | '<';
/** What a comparison looks at. */
export type CompareTarget = 'version' | 'create' | 'mod' | 'value' | 'lease';

/** One guard of a transaction: `target(key) op operand`, over a single key or a range. */
export interface Comparison {
  target: CompareTarget;
  op: CompareOp;
  key: Bytes;
  /** Compare every key of a range (all must satisfy it). */
  range?: RangeSelector;
  /** Number for version/create/mod, bytes for value, lease ID for lease. */
  operand: number | bigint | Bytes;
}

/** Builders for comparisons. A key that does not exist has version, create and mod revision 0. */
export const Compare = {
  /** Number of modifications of the key since creation. */
  version: (key: Bytes, op: CompareOp, version: number, range?: RangeSelector): Comparison => ({
    target: 'version',
    op,
    key,
    range,
    operand: version,
  }),
  /** Revision of the key's creation. */
  createRevision: (key: Bytes, op: CompareOp, revision: number, range?: RangeSelector): Comparison => ({
    target: 'create',
    op,
    key,
    range,
    operand: revision,
  }),
  /** Revision of the key's last modification. */
  modRevision: (key: Bytes, op: CompareOp, revision: number, range?: RangeSelector): Comparison => ({
    target: 'mod',
    op,
    key,
    range,
    operand: revision,
  }),
  /** The key's value, bytewise. */
  value: (key: Bytes, op: CompareOp, value: Bytes, range?: RangeSelector): Comparison => ({
    target: 'value',
    op,
    key,
    range,
    operand: value,
  }),
  /** The lease the key is attached to (0n: none). */
  lease: (key: Bytes, op: CompareOp, lease: LeaseRef, range?: RangeSelector): Comparison => ({
    target: 'lease',
    op,
    key,
    range,
    operand: leaseId(lease),
  }),
};

/** One operation of a transaction branch. */
export type Operation =
  | { type: 'get'; key: Bytes; options?: GetOptions }
  | { type: 'put'; key: Bytes; value: Bytes; options?: PutOptions }
  | { type: 'delete'; key: Bytes; options?: DeleteOptions }
  | { type: 'txn'; txn: TxnSpec };

/** Builders for transaction operations. */
export const Op = {
  get: (key: Bytes, options?: GetOptions): Operation => ({ type: 'get', key, options }),
  put: (key: Bytes, value: Bytes, options?: PutOptions): Operation => ({ type: 'put', key, value, options }),
  delete: (key: Bytes, options?: DeleteOptions): Operation => ({ type: 'delete', key, options }),
  /** A nested transaction (etcd >= 3.3). */
  txn: (txn: TxnSpec | Txn): Operation => ({ type: 'txn', txn: txn instanceof Txn ? txn.spec() : txn }),
};

/** A transaction as data. */
export interface TxnSpec {
  compare: Comparison[];
  success: Operation[];
  failure: Operation[];
}

/** Result of one operation, tagged with its type. */
export type OpResponse =
  | ({ type: 'get' } & GetResponse)
  | ({ type: 'put' } & PutResponse)
  | ({ type: 'delete' } & DeleteResponse)
  | ({ type: 'txn' } & TxnResponse);

/** Result of a transaction. */
export interface TxnResponse {
  header: ResponseHeader;
  /** True when every comparison held and the `then` branch ran. */
  succeeded: boolean;
  /** Results of the branch that ran, in order. */
  responses: OpResponse[];
}

/** Fluent transaction builder; obtain one with `client.txn()`. */
export class Txn {
  private readonly s: TxnSpec = { compare: [], success: [], failure: [] };

  /** @internal */
  constructor(private readonly run: (spec: TxnSpec, options?: CallOptions) => Promise<TxnResponse>) {}

  /** Adds guards; all must hold for the `then` branch to run. */
  if(...comparisons: Comparison[]): this {
    this.s.compare.push(...comparisons);
    return this;
  }

  /**
   * Operations run when every guard holds. (Called by `await` with callbacks instead of operations,
   * it commits the transaction, so awaiting a builder by mistake sends it rather than hanging.)
   */
  // biome-ignore lint/suspicious/noThenProperty: `then` is etcd's transaction vocabulary, and it stays promise-safe.
  then(...ops: Operation[]): this {
    const [first, second] = ops as unknown[];
    if (typeof first === 'function' || typeof second === 'function') {
      const done = this.commit().then(first as any, second as any);
      return done as unknown as this;
    }
    this.s.success.push(...ops);
    return this;
  }

  /** Operations run when some guard fails. */
  else(...ops: Operation[]): this {
    this.s.failure.push(...ops);
    return this;
  }

  /** The transaction as data (for nesting with `Op.txn`). */
  spec(): TxnSpec {
    return { compare: [...this.s.compare], success: [...this.s.success], failure: [...this.s.failure] };
  }

  /** Sends the transaction. Not retried after an ambiguous failure unless `retryWrite` is set. */
  commit(options?: CallOptions): Promise<TxnResponse> {
    return this.run(this.spec(), options);
  }
}

const resultCodes: Record<CompareOp, number> = { '=': 0, '>': 1, '<': 2, '!=': 3 };
const targetCodes: Record<CompareTarget, number> = { version: 0, create: 1, mod: 2, value: 3, lease: 4 };

function compareToWire(c: Comparison): object {
  const r = keyRange(c.key, c.range);
  const out: Record<string, unknown> = {
    result: resultCodes[c.op],
    target: targetCodes[c.target],
    key: r.key,
    rangeEnd: r.rangeEnd,
  };
  switch (c.target) {
    case 'version':
      out.version = c.operand;
      break;
    case 'create':
      out.createRevision = c.operand;
      break;
    case 'mod':
      out.modRevision = c.operand;
      break;
    case 'value':
      out.value = toBuffer(c.operand as Bytes);
      break;
    case 'lease':
      out.lease = c.operand;
      break;
  }
  return out;
}

function opToWire(op: Operation): object {
  switch (op.type) {
    case 'get':
      return { requestRange: rangeRequest(op.key, op.options) };
    case 'put':
      return { requestPut: putRequest(op.key, op.value, op.options) };
    case 'delete':
      return { requestDeleteRange: deleteRequest(op.key, op.options) };
    case 'txn':
      return { requestTxn: txnRequest(op.txn) };
  }
}

/** @internal */
export function txnRequest(spec: TxnSpec): object {
  return {
    compare: spec.compare.map(compareToWire),
    success: spec.success.map(opToWire),
    failure: spec.failure.map(opToWire),
  };
}

function opResponse(w: any): OpResponse {
  if (w.responseRange) return { type: 'get', ...getResponse(w.responseRange) };
  if (w.responsePut) return { type: 'put', ...putResponse(w.responsePut) };
  if (w.responseDeleteRange) return { type: 'delete', ...deleteResponse(w.responseDeleteRange) };
  if (w.responseTxn) return { type: 'txn', ...txnResponse(w.responseTxn) };
  throw new Error('unknown operation in txn response');
}

/** @internal */
export function txnResponse(w: any): TxnResponse {
  return {
    header: headerFromWire(w.header),
    succeeded: !!w.succeeded,
    responses: (w.responses ?? []).map(opResponse),
  };
}

/** True when a txn only reads, so it may be retried like a read. */
export function isReadOnlyTxn(spec: TxnSpec): boolean {
  const ro = (ops: Operation[]): boolean =>
    ops.every((o) => o.type === 'get' || (o.type === 'txn' && isReadOnlyTxn(o.txn)));
  return ro(spec.success) && ro(spec.failure);
}

// Namespace: a view of the keyspace under a prefix. Keys, ranges, comparisons, nested transactions and
// watches get the prefix added; keys in results and events come back without it. A range that would
// reach past the namespace ("every key", from-key) is clamped to the end of the prefix.
import type { KV, WatchOptions } from './client';
import { type Bytes, keyRange, prefixEnd, type RangeSelector, toBuffer } from './key-range';
import type { DeleteOptions, DeleteResponse, GetOptions, GetResponse, PutOptions, PutResponse } from './kv';
import type { CallOptions } from './rpc';
import { type Comparison, type Operation, type OpResponse, Txn, type TxnResponse, type TxnSpec } from './txn';
import { stripKey, type Watcher } from './watcher';

/**
 * A KV whose keys all live under `prefix`. Works with anything that implements `KV` (a Client or another
 * Namespace), so recipes such as Mutex and Election can run inside a namespace.
 *
 * ```ts
 * const app = new Namespace(client, 'apps/billing/');
 * await app.put('config', 'x');          // writes apps/billing/config
 * ```
 */
export class Namespace implements KV {
  /** The prefix as bytes. */
  readonly prefix: Buffer;

  constructor(
    private readonly kv: KV,
    prefix: Bytes,
  ) {
    this.prefix = Buffer.from(toBuffer(prefix));
    if (this.prefix.length === 0) throw new TypeError('namespace prefix must not be empty');
  }

  /** The absolute key range for a key and selector given inside the namespace. */
  private range(key: Bytes, sel: RangeSelector = {}): { key: Buffer; rangeEnd: Buffer } {
    const r = keyRange(key, sel);
    const all = r.key.length === 1 && r.key[0] === 0 && r.rangeEnd.length === 1 && r.rangeEnd[0] === 0;
    const k = all ? this.prefix : Buffer.concat([this.prefix, r.key]);
    let end: Buffer;
    if (r.rangeEnd.length === 0) end = r.rangeEnd;
    else if (r.rangeEnd.length === 1 && r.rangeEnd[0] === 0) end = prefixEnd(this.prefix);
    else end = Buffer.concat([this.prefix, r.rangeEnd]);
    return { key: k, rangeEnd: end };
  }

  private rewrite<T extends RangeSelector>(key: Bytes, options: T | undefined): [Buffer, T] {
    const r = this.range(key, options);
    const o = { ...(options ?? {}), rangeEnd: r.rangeEnd } as unknown as T;
    delete o.prefix;
    delete o.fromKey;
    return [r.key, o];
  }

  private stripGet(r: GetResponse): GetResponse {
    return { ...r, kvs: r.kvs.map((kv) => stripKey(kv, this.prefix)) };
  }

  private stripPut(r: PutResponse): PutResponse {
    return r.prevKv ? { ...r, prevKv: stripKey(r.prevKv, this.prefix) } : r;
  }

  private stripDelete(r: DeleteResponse): DeleteResponse {
    return { ...r, prevKvs: r.prevKvs.map((kv) => stripKey(kv, this.prefix)) };
  }

  async get(key: Bytes, options?: GetOptions & CallOptions): Promise<GetResponse> {
    const [k, o] = this.rewrite(key, options);
    return this.stripGet(await this.kv.get(k, o));
  }

  async put(key: Bytes, value: Bytes, options?: PutOptions & CallOptions): Promise<PutResponse> {
    return this.stripPut(await this.kv.put(Buffer.concat([this.prefix, toBuffer(key)]), value, options));
  }

  async delete(key: Bytes, options?: DeleteOptions & CallOptions): Promise<DeleteResponse> {
    const [k, o] = this.rewrite(key, options);
    return this.stripDelete(await this.kv.delete(k, o));
  }

  txn(): Txn {
    return new Txn(async (spec, options) => {
      const s = this.rewriteTxn(spec);
      const res = await this.kv
        .txn()
        .if(...s.compare)
        .then(...s.success)
        .else(...s.failure)
        .commit(options);
      return this.stripTxn(res);
    });
  }

  watch(key: Bytes, options: WatchOptions = {}): Promise<Watcher> {
    const [k, o] = this.rewrite(key, options);
    o.stripPrefix = Buffer.concat([this.prefix, options.stripPrefix ?? Buffer.alloc(0)]);
    return this.kv.watch(k, o);
  }

  private rewriteCompare(c: Comparison): Comparison {
    const r = this.range(c.key, c.range);
    return { ...c, key: r.key, range: { rangeEnd: r.rangeEnd } };
  }

  private rewriteOp(op: Operation): Operation {
    switch (op.type) {
      case 'get': {
        const [key, options] = this.rewrite(op.key, op.options);
        return { type: 'get', key, options };
      }
      case 'delete': {
        const [key, options] = this.rewrite(op.key, op.options);
        return { type: 'delete', key, options };
      }
      case 'put':
        return { ...op, key: Buffer.concat([this.prefix, toBuffer(op.key)]) };
      case 'txn':
        return { type: 'txn', txn: this.rewriteTxn(op.txn) };
    }
  }

  private rewriteTxn(spec: TxnSpec): TxnSpec {
    return {
      compare: spec.compare.map((c) => this.rewriteCompare(c)),
      success: spec.success.map((o) => this.rewriteOp(o)),
      failure: spec.failure.map((o) => this.rewriteOp(o)),
    };
  }

  private stripOp(r: OpResponse): OpResponse {
    switch (r.type) {
      case 'get':
        return { type: 'get', ...this.stripGet(r) };
      case 'put':
        return { type: 'put', ...this.stripPut(r) };
      case 'delete':
        return { type: 'delete', ...this.stripDelete(r) };
      case 'txn':
        return { type: 'txn', ...this.stripTxn(r) };
    }
  }

  private stripTxn(r: TxnResponse): TxnResponse {
    return { ...r, responses: r.responses.map((x) => this.stripOp(x)) };
  }
}

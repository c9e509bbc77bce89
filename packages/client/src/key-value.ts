// Result types shared by every API: the response header and the stored key-value.
import { type Int64Like, toBigInt, toNumber } from '@kv/api-proto';

/** Where and when a response was produced. */
export interface ResponseHeader {
  clusterId: bigint;
  memberId: bigint;
  /** Store revision when the request was applied (for reads: the revision read at). */
  revision: number;
  raftTerm: number;
}

/** One stored key with its metadata. `key` and `value` are raw bytes; the string getters decode UTF-8. */
export class KeyValue {
  constructor(
    readonly key: Buffer,
    readonly value: Buffer,
    /** Revision of the last creation of this key. */
    readonly createRevision: number,
    /** Revision of the last modification of this key. */
    readonly modRevision: number,
    /** Number of modifications since creation (1 after the first put). */
    readonly version: number,
    /** Lease the key is attached to, 0n for none. */
    readonly lease: bigint,
  ) {}

  /** The key as a UTF-8 string. */
  get keyString(): string {
    return this.key.toString('utf8');
  }

  /** The value as a UTF-8 string. */
  get valueString(): string {
    return this.value.toString('utf8');
  }

  /** The value parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.valueString) as T;
  }
}

const big = (v: unknown): bigint => toBigInt(v as Int64Like | null | undefined);
const num = (v: unknown): number => toNumber(v as Int64Like | null | undefined);
const empty = Buffer.alloc(0);
const buf = (v: unknown): Buffer =>
  Buffer.isBuffer(v)
    ? v
    : v
      ? Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength)
      : empty;

/** @internal */
export function headerFromWire(h: any): ResponseHeader {
  return {
    clusterId: big(h?.clusterId),
    memberId: big(h?.memberId),
    revision: num(h?.revision),
    raftTerm: num(h?.raftTerm),
  };
}

/** @internal */
export function kvFromWire(kv: any): KeyValue {
  return new KeyValue(
    buf(kv.key),
    buf(kv.value),
    num(kv.createRevision),
    num(kv.modRevision),
    num(kv.version),
    big(kv.lease),
  );
}

/** @internal */
export const wireNum = num;
/** @internal */
export const wireBig = big;

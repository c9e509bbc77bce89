// protobufjs writes any 64-bit value it does not recognise as 0, so a `bigint` slipped into a message
// (domain code holds IDs as bigint) would silently become ID 0 on the wire. Teaching its LongBits
// converter about bigint makes such values encode exactly instead. Loaded once by this package's index.
import * as protobuf from 'protobufjs/minimal.js';

type LongBitsCtor = {
  new (lo: number, hi: number): unknown;
  from(value: unknown): unknown;
  __kvBigint?: true;
};

const LongBits = (protobuf.util as unknown as { LongBits: LongBitsCtor }).LongBits;
if (!LongBits.__kvBigint) {
  const from = LongBits.from;
  LongBits.from = (value: unknown) => {
    if (typeof value !== 'bigint') return from(value);
    const bits = BigInt.asUintN(64, value);
    return new LongBits(Number(bits & 0xffffffffn) >>> 0, Number(bits >> 32n) >>> 0);
  };
  LongBits.__kvBigint = true;
}

// Encode+decode throughput of the hot-path messages (PutRequest, PutResponse, RangeResponse with one kv).
// Run after a build: `node dist/bench/put-codec.js [seconds-per-case]` (default 1s per case; bounded).
import { KV, toLong } from '../index.js';

const seconds = Math.min(Number(process.argv[2] ?? 1) || 1, 10);

function bench(name: string, fn: () => void): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / n;
  console.log(
    `${name.padEnd(44)} ${(1e9 / ns).toFixed(0).padStart(9)} ops/s  ${ns.toFixed(0).padStart(6)} ns/op`,
  );
}

const key = Buffer.from('/registry/pods/default/web-0');
const value = Buffer.alloc(256, 7);
const lease = toLong(0x694d85e25c31920en);
const header = {
  clusterId: toLong(0xfedcba9876543210n, true),
  memberId: toLong(42n, true),
  revision: 123456,
  raftTerm: 7,
};

bench('PutRequest encode+decode (key 28B, value 256B)', () => {
  KV.Put.deserializeRequest(KV.Put.serializeRequest({ key, value, lease, prevKv: false }));
});
bench('PutResponse encode+decode (header only)', () => {
  KV.Put.deserializeResponse(KV.Put.serializeResponse({ header }));
});
bench('PutRequest+PutResponse round trip (both)', () => {
  KV.Put.deserializeRequest(KV.Put.serializeRequest({ key, value, lease }));
  KV.Put.deserializeResponse(KV.Put.serializeResponse({ header }));
});
bench('RangeResponse encode+decode (1 kv)', () => {
  KV.Range.deserializeResponse(
    KV.Range.serializeResponse({
      header,
      kvs: [{ key, value, createRevision: 100, modRevision: 123456, version: 3, lease }],
      count: 1,
    }),
  );
});

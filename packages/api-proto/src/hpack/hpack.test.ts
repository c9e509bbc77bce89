// HPACK against RFC 7541's worked example, and the literal encoder read back by the decoder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeLiteralBlock, HpackDecoder } from './index.js';

test('HPACK: RFC 7541 C.4, requests with Huffman coding and the dynamic table', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(Buffer.from('828684418cf1e3c2e5f23a6ba0ab90f4ff', 'hex')), [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ]);
  assert.deepEqual(d.decode(Buffer.from('828684be5886a8eb10649cbf', 'hex')), [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ]);
});

test('HPACK: literal blocks decode to the same fields and leave the dynamic table alone', () => {
  const fields: Array<[string, string]> = [
    [':method', 'POST'],
    [':authority', '127.0.0.1:2379'],
    ['content-type', 'application/grpc'],
    ['x-custom-header-with-a-long-name', 'v'.repeat(300)],
    ['token', ''],
  ];
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(encodeLiteralBlock(fields)), fields);
  // had anything been indexed, index 62 would now name it
  assert.throws(() => d.decode(Buffer.from([0x80 | 62])));
});

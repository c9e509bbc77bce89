// The bare HTTP/2 exchange and its HPACK decoder against node's own http2 server (which Huffman-codes
// and indexes what it sends).
import assert from 'node:assert/strict';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { h2cExchange } from './h2c-unary';

test('one exchange with node:http2: headers, big data, trailers; a reset stream fails', async () => {
  const big = Buffer.alloc(300_000, 7);
  const server = createServer();
  server.on('session', (s) => s.on('error', () => {}));
  server.on('stream', (stream, headers) => {
    // the client drops its socket once it has the answer
    stream.on('error', () => {});
    if (headers[':path'] === '/reset') return stream.close(2);
    const body: Buffer[] = [];
    stream.on('data', (c: Buffer) => body.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () =>
        stream.sendTrailers({
          'grpc-status': '5',
          'grpc-message': `etcdserver: key not found ${Buffer.concat(body)}`,
        }),
      );
      stream.end(big);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    for (let i = 0; i < 2; i++) {
      const ex = h2cExchange(
        '127.0.0.1',
        port,
        [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/x'],
          [':authority', `127.0.0.1:${port}`],
        ],
        Buffer.from('hello'),
      );
      const r = await ex.response;
      ex.close();
      assert.equal(r.headers.get(':status'), '200');
      assert.equal(r.headers.get('content-type'), 'application/grpc');
      assert.equal(r.trailers.get('grpc-status'), '5');
      assert.equal(r.trailers.get('grpc-message'), 'etcdserver: key not found hello');
      assert.ok(r.data.equals(big));
      assert.equal(ex.sent(), true);
    }
    const reset = h2cExchange(
      '127.0.0.1',
      port,
      [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', '/reset'],
        [':authority', 'x'],
      ],
      Buffer.alloc(0),
    );
    await assert.rejects(reset.response, /RST_STREAM 2/);
    reset.close();
    const refused = h2cExchange('127.0.0.1', 1, [[':method', 'POST']], Buffer.alloc(0));
    await assert.rejects(refused.response);
    assert.equal(refused.sent(), false);
  } finally {
    server.close();
  }
});

import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FrameReader, frameMessage, GrpcFrameError } from './grpc-frame.js';
import { createClient, KV, methodByPath, toNumber } from './index.js';

test('FrameReader reassembles messages split anywhere and rejects oversize or compressed frames', () => {
  const a = KV.Put.serializeRequest({ key: Buffer.from('a'), value: Buffer.alloc(300, 1) });
  const b = KV.Put.serializeRequest({ key: Buffer.from('b') });
  const wire = Buffer.concat([frameMessage(a), frameMessage(b), frameMessage(Buffer.alloc(0))]);
  for (const step of [1, 2, 5, 7, 300, wire.length]) {
    const reader = new FrameReader();
    const got: Buffer[] = [];
    for (let i = 0; i < wire.length; i += step) got.push(...reader.push(wire.subarray(i, i + step)));
    assert.deepEqual(got, [a, b, Buffer.alloc(0)], `step ${step}`);
    assert.equal(reader.buffered, 0);
  }
  assert.throws(
    () => new FrameReader(10).push(frameMessage(a)),
    (e: unknown) => e instanceof GrpcFrameError && e.code === 8,
  );
  const compressed = frameMessage(b);
  compressed[0] = 1;
  assert.throws(
    () => new FrameReader().push(compressed),
    (e: unknown) => e instanceof GrpcFrameError && e.code === 12,
  );
});

test('a bare node:http2 front end using the method table answers a grpc-js client', async (t) => {
  // The shape a lean server front end takes: route by :path, deframe, decode, encode, frame, trailers.
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const method = methodByPath(String(headers[':path']));
    if (method !== KV.Range) {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
        { endStream: true },
      );
      return;
    }
    const reader = new FrameReader();
    const requests: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => requests.push(...reader.push(chunk)));
    stream.on('end', () => {
      const req = method.deserializeRequest(requests[0]!);
      const res = {
        header: { revision: 7 },
        kvs: [{ key: req.key, value: Buffer.from('v'), version: 1 }],
        count: 1,
      };
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frameMessage(method.serializeResponse(res)));
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  t.after(() => server.close());
  const kv = createClient('KV', `127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => kv.close());
  const res = await new Promise<ReturnType<typeof KV.Range.deserializeResponse>>((resolve, reject) =>
    kv.Range({ key: Buffer.from('hello') }, (e, r) => (e ? reject(e) : resolve(r!))),
  );
  assert.equal(toNumber(res.header!.revision), 7);
  assert.equal(Buffer.from(res.kvs[0]!.key!).toString(), 'hello');
  const err: grpc.ServiceError = await new Promise((resolve) => kv.Txn({}, (e) => resolve(e!)));
  assert.equal(err.code, grpc.status.UNIMPLEMENTED);
});

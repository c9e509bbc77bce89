// The gRPC families as calls move through our node:http2 server, over real sockets with @grpc/grpc-js
// clients: started/received/sent/handled per method and status code, bytes, client API versions.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as prom from 'prom-client';
import { EtcdError, GrpcCode } from '../errors';
import { GrpcServer, type MethodDef, type ServerStream } from '../frontend/grpc-server';
import { createClientListener } from '../frontend/listener';
import { GRPC_CODE_NAMES, GrpcMetrics } from './grpc-metrics';

const id = (b: Uint8Array) => Buffer.from(b);
const def = (path: string, requestStream: boolean, responseStream: boolean): MethodDef<Buffer, Buffer> => ({
  path,
  requestStream,
  responseStream,
  decode: id,
  encode: id,
});
const clientDef = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: id,
  requestDeserialize: id,
  responseSerialize: id,
  responseDeserialize: id,
});

describe('gRPC metrics', () => {
  const registry = new prom.Registry();
  const metrics = new GrpcMetrics(registry);
  let listener: net.Server;
  let client: any;
  let server: GrpcServer;

  before(async () => {
    server = new GrpcServer({ metrics });
    server.addUnary(def('/t.S/Echo', false, false), (req) => req);
    server.addUnary(def('/t.S/Fail', false, false), async () => {
      throw new EtcdError(GrpcCode.NOT_FOUND, 'etcdserver: requested lease not found');
    });
    server.addStream(def('/t.S/Bidi', true, true), (call: ServerStream<Buffer, Buffer>) => {
      call.onmessage = (m) => call.write(m);
      call.onhalfclose = () => call.end();
    });
    server.addStream(def('/t.S/Hang', true, true), (call: ServerStream<Buffer, Buffer>) => {
      call.onmessage = (m) => call.write(m);
    });
    listener = createClientListener({ h2: server.h2, http1: http.createServer() });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const Client = grpc.makeGenericClientConstructor(
      {
        Echo: clientDef('/t.S/Echo', false, false),
        Fail: clientDef('/t.S/Fail', false, false),
        Bidi: clientDef('/t.S/Bidi', true, true),
        Hang: clientDef('/t.S/Hang', true, true),
      },
      'S',
    );
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.close(100);
    await new Promise((r) => listener.close(r));
  });

  const unary = (method: string, arg: Buffer, md = new grpc.Metadata()) =>
    new Promise<Buffer>((resolve, reject) =>
      client[method](arg, md, (err: Error | null, res: Buffer) => (err ? reject(err) : resolve(res))),
    );
  const stats = (path: string) => [...metrics.all()].find((m) => `/${m.service}/${m.method}` === path)!;
  const handled = (path: string, code: string) => stats(path).handled[GRPC_CODE_NAMES.indexOf(code as never)];

  it('counts unary calls with their status code and message bytes', async () => {
    const md = new grpc.Metadata();
    md.set('client-api-version', '3.4');
    await unary('Echo', Buffer.from('hello'), md);
    await unary('Echo', Buffer.from('hi'));
    await assert.rejects(unary('Fail', Buffer.from('x')), { code: GrpcCode.NOT_FOUND });
    const echo = stats('/t.S/Echo');
    assert.deepEqual([echo.type, echo.started, echo.received, echo.sent], ['unary', 2, 2, 2]);
    assert.equal(handled('/t.S/Echo', 'OK'), 2);
    const fail = stats('/t.S/Fail');
    assert.deepEqual([fail.started, fail.received, fail.sent], [1, 1, 0]);
    assert.equal(handled('/t.S/Fail', 'NotFound'), 1);
    assert.equal(handled('/t.S/Fail', 'OK'), 0);
    assert.equal(metrics.traffic.receivedBytes, 5 + 2 + 1);
    assert.equal(metrics.traffic.sentBytes, 5 + 2);
    assert.deepEqual(Object.fromEntries(metrics.traffic.entries()), {
      '3.4': { unary: 1, stream: 0 },
      unknown: { unary: 2, stream: 0 },
    });
  });

  it('counts each stream message, OK for a stream that ends and Canceled for one the client drops', async () => {
    const call = client.Bidi();
    const got: Buffer[] = [];
    call.on('data', (b: Buffer) => got.push(b));
    const ended = new Promise((r) => call.on('status', r));
    for (const m of ['a', 'bb', 'ccc']) call.write(Buffer.from(m));
    call.end();
    await ended;
    const bidi = stats('/t.S/Bidi');
    assert.deepEqual([bidi.type, bidi.started, bidi.received, bidi.sent], ['bidi_stream', 1, 3, 3]);
    assert.equal(handled('/t.S/Bidi', 'OK'), 1);

    const hang = client.Hang();
    hang.on('error', () => {});
    const first = new Promise((r) => hang.once('data', r));
    hang.write(Buffer.from('x'));
    await first;
    hang.cancel();
    const end = Date.now() + 5000;
    while (handled('/t.S/Hang', 'Canceled') === 0 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(handled('/t.S/Hang', 'Canceled'), 1);
    assert.equal(stats('/t.S/Hang').started, 1);
  });

  it('times calls into grpc_server_handling_seconds once extensive metrics are on', async () => {
    metrics.enableHandlingTime();
    assert.ok(stats('/t.S/Echo').handling);
    await unary('Echo', Buffer.from('timed'));
    const text = await registry.getSingleMetricAsString('grpc_server_handling_seconds');
    assert.match(
      text,
      /grpc_server_handling_seconds_count\{grpc_method="Echo",grpc_service="t.S",grpc_type="unary"\} 1$/m,
    );
    assert.match(
      text,
      /grpc_server_handling_seconds_bucket\{le="10",grpc_method="Echo",grpc_service="t.S",grpc_type="unary"\} 1$/m,
    );
    assert.equal(handled('/t.S/Echo', 'OK'), 3);
    // methods not called since have their zero series, as etcd's pre-registered ones
    assert.match(
      text,
      /grpc_server_handling_seconds_count\{grpc_method="Fail",grpc_service="t.S",grpc_type="unary"\} 0$/m,
    );
  });
});

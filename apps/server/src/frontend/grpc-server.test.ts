// The gRPC transport and the port sniffing, over real sockets, against @grpc/grpc-js clients.
// The handlers here are a tiny set defined by the test: what is under test is framing, status, limits,
// deadlines, cancellation and routing.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { KV } from '@kv/api-proto';
import { EtcdError, GrpcCode } from '../errors';
import { type CallContext, GrpcServer, type MethodDef, type ServerStream } from './grpc-server';
import { decodeGrpcMessage, encodeGrpcMessage, parseGrpcTimeout } from './grpc-wire';
import { createClientListener } from './listener';

const id = (b: Uint8Array) => Buffer.from(b);
function def(path: string, requestStream: boolean, responseStream: boolean): MethodDef<Buffer, Buffer> {
  return { path, requestStream, responseStream, decode: id, encode: id };
}
function clientDef(path: string, requestStream: boolean, responseStream: boolean) {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  };
}

const MAX = 1000;
let port = 0;
let listener: net.Server;
let g: GrpcServer;
let client: any;
let h1: http.Server;
const cancelledCalls: string[] = [];

function unary(method: string, arg: Buffer, opts: grpc.CallOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client[method](arg, new grpc.Metadata(), opts, (err: grpc.ServiceError | null, res: Buffer) =>
      err ? reject(err) : resolve(res),
    );
  });
}

describe('gRPC on node:http2', () => {
  before(async () => {
    g = new GrpcServer({ maxReceiveMessageLength: MAX });
    g.addUnary(def('/t.S/Echo', false, false), (req) => req);
    g.addUnary(def('/t.S/Fail', false, false), async () => {
      throw new EtcdError(GrpcCode.NOT_FOUND, 'etcdserver: requested lease not found – ünïcode 100%');
    });
    g.addUnary(def('/t.S/Slow', false, false), (_req: Buffer, ctx: CallContext) => {
      return new Promise<Buffer>((resolve) => {
        const t = setTimeout(() => resolve(Buffer.from('late')), 2000);
        ctx.onCancel(() => {
          clearTimeout(t);
          cancelledCalls.push('slow');
          resolve(Buffer.from('x'));
        });
      });
    });
    g.addUnary(
      {
        path: KV.Put.path,
        requestStream: false,
        responseStream: false,
        decode: KV.Put.deserializeRequest,
        encode: KV.Put.serializeResponse,
      },
      (req: any) => ({ header: { revision: req.key.length } }),
    );
    g.addStream(def('/t.S/Bidi', true, true), (call: ServerStream<Buffer, Buffer>) => {
      call.onmessage = (m) => call.write(Buffer.concat([Buffer.from('echo:'), m]));
      call.onhalfclose = () => call.end();
    });
    g.addStream(def('/t.S/Sum', true, false), (call: ServerStream<Buffer, Buffer>) => {
      let n = 0;
      call.onmessage = (m) => {
        n += m.length;
      };
      call.onhalfclose = () => {
        call.write(Buffer.from(String(n)));
        call.end();
      };
    });
    g.addStream(def('/t.S/Ticks', false, true), (call: ServerStream<Buffer, Buffer>) => {
      let i = 0;
      const t = setInterval(() => call.write(Buffer.from(String(i++))), 10);
      call.oncancel = () => {
        clearInterval(t);
        cancelledCalls.push('ticks');
      };
    });
    g.addStream(def('/t.S/StreamFail', true, true), (call: ServerStream<Buffer, Buffer>) => {
      call.onmessage = () => {
        call.write(Buffer.from('one'));
        call.end(
          new EtcdError(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
        );
      };
    });
    h1 = http.createServer((_req, res) => res.end('{"health":"true"}'));
    listener = createClientListener({ h2: g.h2, http1: h1 });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as net.AddressInfo).port;
    const C = grpc.makeGenericClientConstructor(
      {
        Echo: clientDef('/t.S/Echo', false, false),
        Fail: clientDef('/t.S/Fail', false, false),
        Slow: clientDef('/t.S/Slow', false, false),
        Nope: clientDef('/t.S/Nope', false, false),
        NoService: clientDef('/x.Y/Z', false, false),
        Put: clientDef(KV.Put.path, false, false),
        Bidi: clientDef('/t.S/Bidi', true, true),
        Sum: clientDef('/t.S/Sum', true, false),
        Ticks: clientDef('/t.S/Ticks', false, true),
        StreamFail: clientDef('/t.S/StreamFail', true, true),
      },
      'T',
    );
    client = new C(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    listener.close();
    h1.closeAllConnections();
    await g.close(200);
  });

  it('answers unary calls, including empty messages', async () => {
    assert.equal((await unary('Echo', Buffer.from('hello'))).toString(), 'hello');
    assert.equal((await unary('Echo', Buffer.alloc(0))).length, 0);
  });

  it('sends error status and percent-encoded UTF-8 messages', async () => {
    await assert.rejects(unary('Fail', Buffer.from('x')), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.equal(e.details, 'etcdserver: requested lease not found – ünïcode 100%');
      return true;
    });
  });

  it('answers unknown methods and services with UNIMPLEMENTED as grpc-go words it', async () => {
    await assert.rejects(unary('Nope', Buffer.from('x')), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.UNIMPLEMENTED);
      assert.equal(e.details, 'unknown method Nope for service t.S');
      return true;
    });
    await assert.rejects(unary('NoService', Buffer.from('x')), (e: grpc.ServiceError) => {
      assert.equal(e.details, 'unknown service x.Y');
      return true;
    });
  });

  it('rejects oversized messages with RESOURCE_EXHAUSTED and keeps serving', async () => {
    await assert.rejects(unary('Echo', Buffer.alloc(MAX + 1)), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(e.details, `grpc: received message larger than max (${MAX + 1} vs. ${MAX})`);
      return true;
    });
    assert.equal((await unary('Echo', Buffer.alloc(MAX))).length, MAX);
  });

  it('decodes protobuf and reports malformed messages as INTERNAL', async () => {
    const key = Buffer.from('abc');
    const ok = await unary('Put', Buffer.concat([Buffer.from([0x0a, 3]), key]));
    assert.deepEqual(ok, Buffer.from([0x0a, 0x02, 0x18, 0x03])); // header { revision: 3 }
    await assert.rejects(unary('Put', Buffer.from([0x0a, 0x50, 0x01])), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INTERNAL);
      assert.match(e.details, /^grpc: error unmarshalling request: /);
      return true;
    });
  });

  it('accepts gzip-compressed requests', async () => {
    const C = grpc.makeGenericClientConstructor({ Echo: clientDef('/t.S/Echo', false, false) }, 'T');
    const gz: any = new C(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    try {
      const res = await new Promise<Buffer>((resolve, reject) =>
        gz.Echo(Buffer.alloc(600, 'a'), (err: Error | null, r: Buffer) => (err ? reject(err) : resolve(r))),
      );
      assert.equal(res.toString(), 'a'.repeat(600));
    } finally {
      gz.close();
    }
  });

  it('enforces grpc-timeout and tells the handler the client is gone', async () => {
    await assert.rejects(
      unary('Slow', Buffer.from('x'), { deadline: Date.now() + 150 }),
      (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.DEADLINE_EXCEEDED);
        return true;
      },
    );
    for (let i = 0; i < 50 && !cancelledCalls.includes('slow'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(cancelledCalls.includes('slow'));
  });

  it('streams both ways and ends when the client half-closes', async () => {
    const call = client.Bidi();
    const got: string[] = [];
    call.on('data', (d: Buffer) => got.push(d.toString()));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    for (let i = 0; i < 20; i++) call.write(Buffer.from(`m${i}`));
    call.end();
    assert.equal((await status).code, grpc.status.OK);
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `echo:m${i}`),
    );
  });

  it('serves client streaming', async () => {
    const res = await new Promise<Buffer>((resolve, reject) => {
      const call = client.Sum((err: Error | null, r: Buffer) => (err ? reject(err) : resolve(r)));
      for (let i = 0; i < 10; i++) call.write(Buffer.alloc(7));
      call.end();
    });
    assert.equal(res.toString(), '70');
  });

  it('ends a stream with an error status in the trailers after messages', async () => {
    const call = client.StreamFail();
    const got: string[] = [];
    call.on('data', (d: Buffer) => got.push(d.toString()));
    const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    call.write(Buffer.from('x'));
    const err = await failed;
    assert.equal(err.code, grpc.status.OUT_OF_RANGE);
    assert.equal(err.details, 'etcdserver: mvcc: required revision has been compacted');
    assert.deepEqual(got, ['one']);
  });

  it('notices a client cancelling a server stream', async () => {
    const call = client.Ticks(Buffer.alloc(0));
    call.on('error', () => {});
    await new Promise<void>((resolve) => {
      let n = 0;
      call.on('data', () => {
        if (++n === 3) resolve();
      });
    });
    call.cancel();
    for (let i = 0; i < 50 && !cancelledCalls.includes('ticks'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(cancelledCalls.includes('ticks'));
  });

  it('answers HTTP/2 keepalive pings of a grpc-js client on an idle stream', async () => {
    const C = grpc.makeGenericClientConstructor({ Ticks: clientDef('/t.S/Ticks', false, true) }, 'T');
    const pinging: any = new C(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 100,
      'grpc.keepalive_timeout_ms': 300,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.max_pings_without_data': 0,
    });
    try {
      const call = pinging.Ticks(Buffer.alloc(0));
      let n = 0;
      let failed: Error | null = null;
      call.on('data', () => n++);
      call.on('error', (e: Error) => {
        failed = e;
      });
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(failed, null);
      assert.ok(n > 20, `only ${n} messages`);
      call.cancel();
    } finally {
      pinging.close();
    }
  });

  it('answers raw h2 requests without a gRPC content-type with 415', async () => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = s.request({ ':path': '/health' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.resume();
        req.end();
      });
      assert.equal(status, 415);
    } finally {
      s.destroy();
    }
  });

  it('shares the port with HTTP/1.1 and survives garbage bytes', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '{"health":"true"}');
    const garbage = [
      Buffer.from('\x00\x01\x02garbage\r\n\r\n'),
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff'),
      Buffer.from('PRI * HT'),
      Buffer.alloc(4096, 0xab),
    ];
    for (const bytes of garbage) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.resume();
      await new Promise((res) => s.once('connect', res));
      s.end(bytes);
      await new Promise((res) => s.once('close', res));
    }
    assert.equal((await unary('Echo', Buffer.from('still serving'))).toString(), 'still serving');
  });
});

describe('grpc wire helpers', () => {
  it('parses grpc-timeout units', () => {
    assert.equal(parseGrpcTimeout('100m'), 100);
    assert.equal(parseGrpcTimeout('5S'), 5000);
    assert.equal(parseGrpcTimeout('1H'), 3600000);
    assert.equal(parseGrpcTimeout(undefined), -1);
    assert.equal(parseGrpcTimeout('12x'), -2);
    assert.equal(parseGrpcTimeout('123456789S'), -2);
  });

  it('percent-encodes grpc-message both ways', () => {
    assert.equal(encodeGrpcMessage('plain text'), 'plain text');
    assert.equal(encodeGrpcMessage('50% é'), '50%25 %C3%A9');
    assert.equal(decodeGrpcMessage('50%25 %C3%A9'), '50% é');
  });
});

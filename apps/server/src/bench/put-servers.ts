// Servers that answer etcdserverpb.KV/Put with a fixed PutResponse, to compare front-end designs
// (no raft, no storage: the transport's own ceiling). Run: node dist/bench/put-servers.js <mode> [port]
//   grpcjs      @grpc/grpc-js server, one process
//   h2          our node:http2 gRPC front end, one process
//   h2-cluster  our front end in N node:cluster workers sharing the port, answering locally
//   h2-core     N front-end workers forwarding each call over a unix socket (FrameChannel) to one core
//               process (the cluster primary), which answers: the design where raft/WAL/apply stay single
// N = BENCH_WORKERS (default 2). Prints "LISTENING <port>" when ready.
import cluster from 'node:cluster';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FrameChannel } from '../frontend/frame-channel';
import { GrpcServer, type MethodDef } from '../frontend/grpc-server';
import { createClientListener } from '../frontend/listener';
import { freePorts } from '../test-ports';

/** PutResponse{header{cluster_id, member_id, revision, raft_term}} with etcd-like magnitudes. */
export function fixedPutResponse(): Buffer {
  const varint = (n: bigint) => {
    const out: number[] = [];
    while (n > 127n) {
      out.push(Number(n & 127n) | 128);
      n >>= 7n;
    }
    out.push(Number(n));
    return out;
  };
  const hdr = [
    0x08,
    ...varint(14841639068965178418n),
    0x10,
    ...varint(10276657743932975437n),
    0x18,
    ...varint(123456789n),
    0x20,
    ...varint(2n),
  ];
  return Buffer.from([0x0a, hdr.length, ...hdr]);
}

const PUT_PATH = '/etcdserverpb.KV/Put';
const identity = (b: Uint8Array) => b;
const putDef: MethodDef<Uint8Array, Uint8Array> = {
  path: PUT_PATH,
  requestStream: false,
  responseStream: false,
  decode: identity,
  encode: identity,
};

function ready(port: number): void {
  process.stdout.write(`LISTENING ${port}\n`);
}

function h2Server(handler: (req: Uint8Array) => Uint8Array | Promise<Uint8Array>, port: number): void {
  const g = new GrpcServer({ maxReceiveMessageLength: 2 * 1024 * 1024 });
  g.addUnary(putDef, handler);
  const h1 = http.createServer((_req, res) => res.end('{"health":"true"}'));
  const l = createClientListener({ h2: g.h2, http1: h1 });
  l.listen(port, '127.0.0.1', () => ready((l.address() as net.AddressInfo).port));
}

async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'h2';
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const response = fixedPutResponse();
  if (mode === 'grpcjs') {
    const grpc = await import('@grpc/grpc-js');
    const server = new grpc.Server({ 'grpc.max_concurrent_streams': 1 << 20 } as any);
    server.addService(
      {
        Put: {
          path: PUT_PATH,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      } as any,
      { Put: (_call: any, cb: any) => cb(null, response) },
    );
    server.bindAsync(
      `127.0.0.1:${process.argv[3] ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (err, port) => {
        if (err) throw err;
        ready(port);
      },
    );
    return;
  }
  if (mode === 'h2') {
    process.on('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
    h2Server(() => response, Number(process.argv[3] ?? 0));
    return;
  }
  if (mode === 'h2-cluster' || mode === 'h2-core') {
    if (cluster.isPrimary) {
      const port = Number(process.argv[3] ?? 0) || (await freePort());
      const sock = path.join(os.tmpdir(), `kv-bench-core-${process.pid}.sock`);
      if (mode === 'h2-core') await startCore(sock, response);
      process.on('SIGTERM', () => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        try {
          require('node:fs').rmSync(sock, { force: true });
        } catch {}
        process.exit(0);
      });
      let up = 0;
      for (let i = 0; i < workers; i++) {
        const w = cluster.fork({ BENCH_PORT: String(port), BENCH_SOCK: sock });
        w.on('message', (m) => {
          if (m === 'up' && ++up === workers) ready(port);
        });
      }
      return;
    }
    const port = Number(process.env.BENCH_PORT);
    if (mode === 'h2-cluster') {
      h2Server(() => response, port);
    } else {
      const forward = await connectCore(process.env.BENCH_SOCK!);
      h2Server(forward, port);
    }
    process.stdout.write = (() => true) as any; // only the primary reports
    process.send!('up');
    return;
  }
  if (mode === 'member') {
    // A real single-member server (raft, WAL fsync, RocksDB) behind the front end, in one process.
    const { startEtcd } = await import('../embed.js');
    const { silentLogger } = await import('../etcd-server/logger.js');
    const fs = await import('node:fs');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-bench-member-'));
    const [client, peer] = [await freePort(), await freePort()];
    const e = await startEtcd(
      {
        name: 'bench',
        dataDir: path.join(dir, 'bench.etcd'),
        listenClientUrls: [`http://127.0.0.1:${client}`],
        advertiseClientUrls: [`http://127.0.0.1:${client}`],
        listenPeerUrls: [`http://127.0.0.1:${peer}`],
        initialAdvertisePeerUrls: [`http://127.0.0.1:${peer}`],
      } as any,
      { logger: silentLogger() },
    );
    await (e.server as any).ready();
    process.on('SIGTERM', () => {
      e.close().finally(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    });
    ready(client);
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

// Frames: worker -> core [u32 callId][u16 method][payload]; core -> worker [u32 callId][u8 status][payload].
async function startCore(sock: string, response: Buffer): Promise<void> {
  const server = net.createServer((socket) => {
    const ch: FrameChannel = new FrameChannel(socket, (body) => {
      const out = Buffer.allocUnsafe(4 + 5 + response.length);
      out.writeUInt32BE(5 + response.length, 0);
      body.copy(out, 4, 0, 4); // call id
      out[8] = 0;
      response.copy(out, 9);
      ch.sendFramed(out);
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
}

async function connectCore(sock: string): Promise<(req: Uint8Array) => Promise<Uint8Array>> {
  const socket = net.connect(sock);
  await new Promise((r) => socket.once('connect', r));
  const waiting = new Map<number, (b: Uint8Array) => void>();
  let nextId = 1;
  const ch = new FrameChannel(socket, (body) => {
    const id = body.readUInt32BE(0);
    const resolve = waiting.get(id);
    if (resolve === undefined) return;
    waiting.delete(id);
    resolve(body.subarray(5));
  });
  return (req) => {
    const id = nextId++ >>> 0;
    const out = Buffer.allocUnsafe(4 + 6 + req.length);
    out.writeUInt32BE(6 + req.length, 0);
    out.writeUInt32BE(id, 4);
    out.writeUInt16BE(1, 8);
    out.set(req, 10);
    ch.sendFramed(out);
    return new Promise((resolve) => waiting.set(id, resolve));
  };
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

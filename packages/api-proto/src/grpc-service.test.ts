import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  addServices,
  allMethods,
  clientConstructor,
  createClient,
  type etcdserverpb,
  grpcServiceDefinitions,
  methodByPath,
  toBigInt,
  toLong,
} from './index.js';

test('the method table covers every service and method with etcd paths', () => {
  const paths = allMethods.map((m) => m.path);
  assert.equal(new Set(paths).size, paths.length);
  for (const p of [
    '/etcdserverpb.KV/Range',
    '/etcdserverpb.Watch/Watch',
    '/etcdserverpb.Lease/LeaseKeepAlive',
    '/etcdserverpb.Cluster/MemberPromote',
    '/etcdserverpb.Maintenance/MoveLeader',
    '/etcdserverpb.Auth/RoleRevokePermission',
    '/v3lockpb.Lock/Unlock',
    '/v3electionpb.Election/Observe',
  ]) {
    assert.ok(methodByPath(p), p);
  }
  assert.equal(allMethods.length, 5 + 1 + 5 + 5 + 8 + 17 + 2 + 5);
  const watch = methodByPath('/etcdserverpb.Watch/Watch')!;
  assert.equal(watch.requestStream, true);
  assert.equal(watch.responseStream, true);
  assert.equal(methodByPath('/etcdserverpb.Maintenance/Snapshot')!.responseStream, true);
  assert.deepEqual(Object.keys(grpcServiceDefinitions).sort(), [
    'Auth',
    'Cluster',
    'Election',
    'KV',
    'Lease',
    'Lock',
    'Maintenance',
    'Watch',
  ]);
});

test('addServices serves unary, server-streaming and bidi calls to clients built from the table', async (t) => {
  const server = new grpc.Server();
  const stored = new Map<string, Buffer>();
  addServices(server, {
    KV: {
      Put(call, cb) {
        stored.set(Buffer.from(call.request.key).toString(), Buffer.from(call.request.value));
        cb(null, { header: { revision: 2, clusterId: toLong(0xfedcba9876543210n, true) } });
      },
      Range(call, cb) {
        const key = Buffer.from(call.request.key);
        const value = stored.get(key.toString());
        cb(null, { header: { revision: 2 }, kvs: value ? [{ key, value, modRevision: 2 }] : [], count: 1 });
      },
      DeleteRange: (_call, cb) =>
        cb({ code: grpc.status.NOT_FOUND, details: 'etcdserver: requested lease not found' }),
      // Txn and Compact are left out: grpc-js answers UNIMPLEMENTED.
    },
    Maintenance: {
      Snapshot(call) {
        call.write({ remainingBytes: 3, blob: Buffer.from('ab') });
        call.write({ remainingBytes: 0, blob: Buffer.from('c') });
        call.end();
      },
    },
    Lease: {
      LeaseKeepAlive(call) {
        call.on('data', (req: etcdserverpb.LeaseKeepAliveRequest) => {
          call.write({ ID: req.ID, TTL: 10 });
        });
        call.on('end', () => call.end());
      },
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.after(() => server.forceShutdown());
  const kv = createClient('KV', `127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => kv.close());

  const put: etcdserverpb.PutResponse = await new Promise((resolve, reject) =>
    kv.Put({ key: Buffer.from('foo'), value: Buffer.from('bar') }, (e, r) => (e ? reject(e) : resolve(r!))),
  );
  assert.equal(toBigInt(put.header!.clusterId), 0xfedcba9876543210n);
  const range: etcdserverpb.RangeResponse = await new Promise((resolve, reject) =>
    kv.Range({ key: Buffer.from('foo') }, (e, r) => (e ? reject(e) : resolve(r!))),
  );
  assert.equal(Buffer.from(range.kvs[0]!.value!).toString(), 'bar');
  const err: grpc.ServiceError = await new Promise((resolve) => kv.Txn({}, (e) => resolve(e!)));
  assert.equal(err.code, grpc.status.UNIMPLEMENTED);
  const notFound: grpc.ServiceError = await new Promise((resolve) => kv.DeleteRange({}, (e) => resolve(e!)));
  assert.equal(notFound.code, grpc.status.NOT_FOUND);
  assert.equal(notFound.details, 'etcdserver: requested lease not found');

  const maintenance = createClient('Maintenance', `127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => maintenance.close());
  const blobs: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const snap = maintenance.Snapshot({});
    snap.on('data', (r: etcdserverpb.SnapshotResponse) => blobs.push(Buffer.from(r.blob)));
    snap.on('end', resolve);
    snap.on('error', reject);
  });
  assert.equal(Buffer.concat(blobs).toString(), 'abc');

  const LeaseClient = clientConstructor('Lease');
  const lease = new LeaseClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as any;
  t.after(() => lease.close());
  const stream = lease.LeaseKeepAlive();
  const got: bigint[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (r: etcdserverpb.LeaseKeepAliveResponse) => got.push(toBigInt(r.ID)));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.write({ ID: toLong(0x694d85e25c31920en) });
  stream.write({ ID: toLong(-2n) });
  stream.end();
  await done;
  assert.deepEqual(got, [0x694d85e25c31920en, -2n]);
});

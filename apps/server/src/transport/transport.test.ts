import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeFrame, FrameDecoder, FrameType } from './frame.js';
import { Transport, type TransportHandlers } from './transport.js';

interface Node {
  t: Transport;
  url: string;
  got: { from: bigint; text: string }[];
  unreachable: bigint[];
  down: bigint[];
  snapshots: { from: bigint; msg: string; files: Record<string, string> }[];
  snapStatus: boolean[];
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function node(id: bigint, clusterId: bigint, port = 0): Promise<Node> {
  const n: Node = {
    t: undefined as any,
    url: '',
    got: [],
    unreachable: [],
    down: [],
    snapshots: [],
    snapStatus: [],
  };
  const handlers: TransportHandlers = {
    onMessage: (from, b) => n.got.push({ from, text: b.toString() }),
    onSnapshot: async (from, msg, dir) => {
      n.snapshots.push({
        from,
        msg: msg.toString(),
        files: { a: readFileSync(join(dir, 'a.sst'), 'utf8'), b: readFileSync(join(dir, 'sub/b'), 'utf8') },
      });
      rmSync(dir, { recursive: true });
    },
    onUnreachable: (pid) => n.unreachable.push(pid),
    onPeerDown: (pid) => n.down.push(pid),
    onSnapshotStatus: (_id, ok) => n.snapStatus.push(ok),
    isRemoved: () => false,
  };
  const tmp = mkdtempSync(join(tmpdir(), 'tr-'));
  n.t = new Transport(
    { localId: id, clusterId, listen: [{ host: '127.0.0.1', port }], snapshotTmpDir: tmp },
    handlers,
  );
  const [p] = await n.t.start();
  n.url = `http://127.0.0.1:${p}`;
  return n;
}

test('frame decoder reassembles frames split at any byte', () => {
  const bytes = Buffer.concat([
    ...encodeFrame(FrameType.Message, Buffer.from('hello')),
    ...encodeFrame(FrameType.Message, Buffer.alloc(0)),
    ...encodeFrame(FrameType.Message, Buffer.from('x'.repeat(300))),
  ]);
  for (let step = 1; step <= 7; step++) {
    const d = new FrameDecoder();
    const got: string[] = [];
    for (let i = 0; i < bytes.length; i += step) {
      for (const f of d.push(bytes.subarray(i, i + step))) got.push(f.body.toString());
    }
    assert.deepEqual(got, ['hello', '', 'x'.repeat(300)]);
  }
  assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0, 1])));
});

test('messages flow both ways, in order, many per batch', async () => {
  const a = await node(1n, 7n);
  const b = await node(2n, 7n);
  a.t.addPeer(2n, [b.url]);
  b.t.addPeer(1n, [a.url]);
  for (let i = 0; i < 2000; i++) a.t.send(2n, Buffer.from(`m${i}`));
  b.t.send(1n, Buffer.from('back'));
  await waitFor(() => b.got.length === 2000 && a.got.length === 1);
  assert.deepEqual(
    b.got.map((g) => g.text),
    Array.from({ length: 2000 }, (_, i) => `m${i}`),
  );
  assert.equal(b.got[0]!.from, 1n);
  assert.equal(a.got[0]!.text, 'back');
  await a.t.close();
  await b.t.close();
});

test('members of different clusters refuse to talk', async () => {
  const a = await node(1n, 7n);
  const b = await node(2n, 8n);
  a.t.addPeer(2n, [b.url]);
  a.t.send(2n, Buffer.from('x'));
  await waitFor(() => a.unreachable.length > 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(b.got.length, 0);
  assert.equal(a.t.activeSince(2n), 0);
  await a.t.close();
  await b.t.close();
});

test('reconnects with backoff after the peer restarts; unreachable is reported meanwhile', async () => {
  const a = await node(1n, 7n);
  let b = await node(2n, 7n);
  const port = Number(new URL(b.url).port);
  a.t.addPeer(2n, [b.url]);
  a.t.send(2n, Buffer.from('first'));
  await waitFor(() => b.got.length === 1);
  await b.t.close();
  await waitFor(() => a.unreachable.length > 0);
  b = await node(2n, 7n, port);
  // Raft keeps sending (heartbeats); once the link is back they arrive.
  await waitFor(() => {
    a.t.send(2n, Buffer.from('again'));
    return b.got.some((g) => g.text === 'again');
  });
  await a.t.close();
  await b.t.close();
});

test('a restarted peer that dials in is dialled back at once, not after the backoff', async () => {
  const a = await node(1n, 7n);
  let b = await node(2n, 7n);
  const port = Number(new URL(b.url).port);
  a.t.addPeer(2n, [b.url]);
  a.t.send(2n, Buffer.from('first'));
  await waitFor(() => b.got.length === 1);
  await b.t.close();
  // Refused dials (the peer's port is closed) are reported as the peer being down, and grow the backoff.
  await waitFor(() => {
    a.t.send(2n, Buffer.from('x'));
    return a.down.length >= 5;
  });
  assert.ok(a.down.every((id) => id === 2n));
  b = await node(2n, 7n, port);
  b.t.addPeer(1n, [a.url]);
  const t0 = Date.now();
  b.t.connectAll();
  await waitFor(() => a.t.activeSince(2n) > 0, 1000);
  assert.ok(Date.now() - t0 < 500, `dialled back after ${Date.now() - t0} ms`);
  await a.t.close();
  await b.t.close();
});

test('a snapshot streams its files on a separate connection and is acknowledged', async () => {
  const a = await node(1n, 7n);
  const b = await node(2n, 7n);
  a.t.addPeer(2n, [b.url]);
  const src = mkdtempSync(join(tmpdir(), 'snap-src-'));
  const big = 'y'.repeat(3 * 1024 * 1024 + 17);
  writeFileSync(join(src, 'a.sst'), big);
  writeFileSync(join(src, 'b'), 'small');
  a.t.sendSnapshot(
    2n,
    Buffer.from('snap-msg'),
    [
      { name: 'a.sst', path: join(src, 'a.sst') },
      { name: 'sub/b', path: join(src, 'b') },
    ],
    [b.url],
  );
  await waitFor(() => a.snapStatus.length === 1);
  assert.deepEqual(a.snapStatus, [true]);
  assert.equal(b.snapshots.length, 1);
  assert.equal(b.snapshots[0]!.msg, 'snap-msg');
  assert.equal(b.snapshots[0]!.files.a, big);
  assert.equal(b.snapshots[0]!.files.b, 'small');
  rmSync(src, { recursive: true });
  await a.t.close();
  await b.t.close();
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeCa, makeSignedCert } from '../test-certs.js';
import { createSelfSignedCert } from '../tls/self-signed-cert.js';
import { encodeFrame, FrameDecoder, FrameType } from './frame.js';
import type { PeerTls } from './peer-tls.js';
import { Transport, type TransportHandlers } from './transport.js';

interface Node {
  t: Transport;
  url: string;
  got: { from: bigint; text: string }[];
  unreachable: bigint[];
  down: bigint[];
  snapshots: { from: bigint; msg: string; files: Record<string, string> }[];
  snapStatus: boolean[];
  logs: string[];
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A transport on 127.0.0.1; with `tls` it listens and dials https:// peer URLs. */
async function node(id: bigint, clusterId: bigint, port = 0, tls?: PeerTls): Promise<Node> {
  const n: Node = {
    t: undefined as any,
    url: '',
    got: [],
    unreachable: [],
    down: [],
    snapshots: [],
    snapStatus: [],
    logs: [],
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
    {
      localId: id,
      clusterId,
      listen: [{ host: '127.0.0.1', port, tls: tls !== undefined }],
      snapshotTmpDir: tmp,
      tls,
      log: (_level, msg) => n.logs.push(msg),
    },
    handlers,
  );
  const [p] = await n.t.start();
  n.url = `${tls ? 'https' : 'http'}://127.0.0.1:${p}`;
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

/** Peer TLS as --peer-auto-tls makes it: a self-signed certificate, chains not verified. */
function autoTls(): PeerTls {
  const { cert, key } = createSelfSignedCert({ hosts: ['127.0.0.1'] });
  return { cert: Buffer.from(cert), key: Buffer.from(key), clientCertAuth: false, insecureSkipVerify: true };
}

for (const secure of [false, true]) {
  test(`a snapshot streams its files on a separate connection and is acknowledged${secure ? ' (TLS)' : ''}`, async () => {
    await snapshotRoundTrip(secure);
  });
}

async function snapshotRoundTrip(secure: boolean): Promise<void> {
  const a = await node(1n, 7n, 0, secure ? autoTls() : undefined);
  const b = await node(2n, 7n, 0, secure ? autoTls() : undefined);
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
}

test('over TLS (auto TLS certificates): messages flow both ways, in order', async () => {
  const a = await node(1n, 7n, 0, autoTls());
  const b = await node(2n, 7n, 0, autoTls());
  a.t.addPeer(2n, [b.url]);
  b.t.addPeer(1n, [a.url]);
  for (let i = 0; i < 500; i++) a.t.send(2n, Buffer.from(`m${i}`));
  b.t.send(1n, Buffer.from('back'));
  await waitFor(() => b.got.length === 500 && a.got.length === 1);
  assert.deepEqual(
    b.got.map((g) => g.text),
    Array.from({ length: 500 }, (_, i) => `m${i}`),
  );
  await a.t.close();
  await b.t.close();
});

test('http:// and https:// members do not talk to each other', async () => {
  const plain = await node(1n, 7n);
  const secure = await node(2n, 7n, 0, autoTls());
  plain.t.addPeer(2n, [secure.url.replace('https:', 'http:')]);
  secure.t.addPeer(1n, [plain.url.replace('http:', 'https:')]);
  plain.t.send(2n, Buffer.from('x'));
  secure.t.send(1n, Buffer.from('y'));
  await waitFor(() => plain.logs.some((l) => l.includes('TLS handshake on an http:// peer URL')));
  await waitFor(() => secure.logs.some((l) => l.startsWith('rejected peer connection')));
  await waitFor(() => plain.unreachable.length > 0 && secure.unreachable.length > 0);
  assert.equal(plain.got.length + secure.got.length, 0);
  await plain.t.close();
  await secure.t.close();
});

test('with client certificate auth, only certificates the CA signed with the allowed CN get in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-ca-'));
  try {
    const ca = makeCa(dir, 'ca');
    const read = (p: { cert: string; key: string }) => ({
      cert: readFileSync(p.cert),
      key: readFileSync(p.key),
    });
    const [c1, c2, c3] = ['m1', 'm2', 'm3'].map((n) => read(makeSignedCert(dir, ca, n)));
    const strict = (c: { cert: Buffer; key: Buffer }, allowedCn?: string): PeerTls => ({
      ...c,
      ca: readFileSync(ca.cert),
      clientCertAuth: true,
      allowedCn,
      insecureSkipVerify: false,
    });
    const server = await node(1n, 7n, 0, strict(c1!, 'm2'));
    const good = await node(2n, 7n, 0, strict(c2!));
    const wrongCn = await node(3n, 7n, 0, strict(c3!));
    const noCa = await node(4n, 7n, 0, autoTls());
    // The check is on both ends: this one's certificate passes, but it wants a CN the server's lacks.
    const picky = await node(5n, 7n, 0, strict(c2!, 'm9'));
    for (const n of [good, wrongCn, noCa, picky]) {
      n.t.addPeer(1n, [server.url]);
      n.t.send(1n, Buffer.from(`from ${n === good ? 'good' : 'bad'}`));
    }
    await waitFor(() => server.got.length > 0);
    await waitFor(() => server.logs.some((l) => l.includes('certificate CN m3 is not allowed')));
    await waitFor(() => server.logs.some((l) => l.includes('client certificate: ')));
    await waitFor(() => picky.logs.some((l) => l.includes('certificate CN m1 is not allowed')));
    assert.deepEqual(
      server.got.map((g) => [g.from, g.text]),
      [[2n, 'from good']],
    );
    await Promise.all([server, good, wrongCn, noCa, picky].map((n) => n.t.close()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a peer certificate's names must cover the address it connects from, unless told to skip", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-san-'));
  try {
    const ca = makeCa(dir, 'ca');
    const read = (p: { cert: string; key: string }) => ({
      cert: readFileSync(p.cert),
      key: readFileSync(p.key),
    });
    const pair = (name: string, san: string) => read(makeSignedCert(dir, ca, name, san));
    const strict = (c: { cert: Buffer; key: Buffer }, skip = false): PeerTls => ({
      ...c,
      ca: readFileSync(ca.cert),
      clientCertAuth: true,
      skipClientSanVerify: skip,
      insecureSkipVerify: false,
    });
    const server = await node(1n, 7n, 0, strict(pair('s', 'IP:127.0.0.1')));
    const lax = await node(2n, 7n, 0, strict(pair('lax', 'IP:127.0.0.1'), true));
    const elsewhere = pair('far', 'IP:10.9.9.9');
    const byName = await node(3n, 7n, 0, strict(pair('named', 'DNS:localhost')));
    const far = await node(4n, 7n, 0, strict(elsewhere));
    const farToLax = await node(5n, 7n, 0, strict(elsewhere));
    for (const n of [byName, far]) {
      n.t.addPeer(1n, [server.url]);
      n.t.send(1n, Buffer.from('hi'));
    }
    farToLax.t.addPeer(2n, [lax.url]);
    farToLax.t.send(2n, Buffer.from('hi'));
    await waitFor(() => server.got.some((g) => g.from === 3n));
    await waitFor(() => lax.got.some((g) => g.from === 5n));
    await waitFor(() =>
      server.logs.some((l) => l.includes('x509: certificate is valid for 10.9.9.9, not 127.0.0.1')),
    );
    assert.equal(server.got.filter((g) => g.from === 4n).length, 0);
    await Promise.all([server, lax, byName, far, farToLax].map((n) => n.t.close()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

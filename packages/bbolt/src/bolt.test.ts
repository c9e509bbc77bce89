import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BoltReader, BoltWriter, parseBolt, readBolt, writeBolt } from './index';

const dir = mkdtempSync(join(tmpdir(), 'bbolt-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ETCDCTL = '/usr/bin/etcdctl';

// A deterministic generator so a failure can be reproduced.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

test('round trip: empty, inline, multi-level and overflow buckets read back as written', () => {
  const r = rng(7);
  const big: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < 20000; i++) {
    big.push([Buffer.from(`k${String(i).padStart(7, '0')}`), randomBytes(Math.floor(r() * 120))]);
  }
  const overflow: Array<[Buffer, Buffer]> = [
    [Buffer.from('a'), randomBytes(10)],
    [Buffer.from('huge'), randomBytes(3 * 4096 + 17)],
    [Buffer.from('z'), randomBytes(5000)],
  ];
  const input = [
    { name: Buffer.from('empty'), entries: [] as Array<[Buffer, Buffer]> },
    { name: Buffer.from('tiny'), entries: [[Buffer.from('x'), Buffer.from('1')]] as Array<[Buffer, Buffer]> },
    { name: Buffer.from('big'), entries: big },
    { name: Buffer.from('overflow'), entries: overflow },
  ];
  const path = join(dir, 'round.db');
  const w = writeBolt(path, input);
  assert.equal(readFileSync(path).length, w.size);
  assert.equal(w.keys, 20000 + 3 + 1);
  const db = readBolt(path);
  assert.equal(db.size, w.size);
  assert.deepEqual(
    db.buckets.map((b) => b.name.toString()),
    ['big', 'empty', 'overflow', 'tiny'],
  );
  const byName = new Map(db.buckets.map((b) => [b.name.toString(), b]));
  assert.deepEqual(byName.get('big')!.entries, big);
  assert.deepEqual(byName.get('overflow')!.entries, overflow);
  assert.deepEqual(byName.get('tiny')!.entries, input[1]!.entries);
  assert.deepEqual(byName.get('empty')!.entries, []);
  assert.deepEqual(db.free, []);
  // 20000 keys of ~70 bytes: ~400 leaves, so the root of 'big' is a branch page over branch pages
  const raw = readFileSync(path);
  const bigRoot = byName.get('big')!.root;
  assert.equal(raw.readUInt16LE(bigRoot * 4096 + 8), 0x01, 'branch page');
  const child = Number(raw.readBigUInt64LE(bigRoot * 4096 + 16 + 8));
  assert.equal(raw.readUInt16LE(child * 4096 + 8), 0x01, 'branch page below the root');
  assert.equal(byName.get('tiny')!.root, 0, 'inline');
  assert.notEqual(byName.get('overflow')!.root, 0);
});

test('the writer refuses unsorted or duplicate keys', () => {
  const w = new BoltWriter(join(dir, 'bad.db'));
  w.bucket(Buffer.from('b'));
  w.put(Buffer.from('b'), Buffer.from('1'));
  assert.throws(() => w.put(Buffer.from('a'), Buffer.from('2')), /strictly ascending/);
  assert.throws(() => w.put(Buffer.from('b'), Buffer.from('2')), /strictly ascending/);
  w.abort();
});

test('a damaged meta page falls back to the other one; both damaged is an error', () => {
  const path = join(dir, 'meta.db');
  writeBolt(path, [{ name: Buffer.from('b'), entries: [[Buffer.from('k'), Buffer.from('v')]] }]);
  const raw = readFileSync(path);
  raw[4096 + 16 + 20] ^= 0xff; // inside meta 1's root: its checksum no longer matches
  assert.equal(parseBolt(raw).meta.txid, 0);
  raw[16 + 20] ^= 0xff;
  assert.throws(() => parseBolt(raw), /checksum error/);
});

// ---- etcd-shaped content, read by Debian's etcdctl (bbolt 1.3)

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** mvccpb.KeyValue: key=1, create_revision=2, mod_revision=3, version=4, value=5, lease=6. */
function keyValue(key: Buffer, create: number, mod: number, version: number, value: Buffer): Buffer {
  const parts: number[] = [];
  const bytes = (f: number, b: Buffer) =>
    parts.push(...varint(BigInt((f << 3) | 2)), ...varint(BigInt(b.length)), ...b);
  const int = (f: number, n: number) => {
    if (n !== 0) parts.push(...varint(BigInt(f << 3)), ...varint(BigInt(n)));
  };
  bytes(1, key);
  int(2, create);
  int(3, mod);
  int(4, version);
  if (value.length) bytes(5, value);
  return Buffer.from(parts);
}

function revKey(main: number): Buffer {
  const b = Buffer.alloc(17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  return b;
}

let crcTable: Int32Array | undefined;
function crc32c(chunks: Buffer[]): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c;
    }
  }
  let crc = -1;
  for (const b of chunks)
    for (let i = 0; i < b.length; i++) crc = crcTable[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function etcdShapedFile(path: string, n: number): { revision: number; keys: number } {
  const r = rng(11);
  const w = new BoltWriter(path);
  w.bucket(Buffer.from('key'));
  for (let rev = 2; rev < n + 2; rev++) {
    const value = rev % 500 === 0 ? randomBytes(9000) : randomBytes(Math.floor(r() * 200));
    w.put(revKey(rev), keyValue(Buffer.from(`/k/${rev}`), rev, rev, 1, value));
  }
  w.bucket(Buffer.from('meta'));
  const ci = Buffer.alloc(8);
  ci.writeBigUInt64BE(BigInt(n + 10));
  w.put(Buffer.from('consistent_index'), ci);
  const res = w.close();
  return { revision: n + 1, keys: res.keys };
}

test('Debian etcdctl reads our file: status prints our hash, revision, key count and size', {
  skip: !existsSync(ETCDCTL),
}, () => {
  const path = join(dir, 'etcd.db');
  const { revision, keys } = etcdShapedFile(path, 3000);
  const out = JSON.parse(
    execFileSync(ETCDCTL, ['snapshot', 'status', path, '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
      encoding: 'utf8',
      timeout: 20000,
    }),
  ) as { hash: number; revision: number; totalKey: number; totalSize: number };
  const db = readBolt(path);
  const chunks: Buffer[] = [];
  for (const b of db.buckets) {
    chunks.push(b.name);
    for (const [k, v] of b.entries) chunks.push(k, v);
  }
  assert.deepEqual(out, { hash: crc32c(chunks), revision, totalKey: keys, totalSize: db.size });
});

test('Debian etcdctl restores our file (bbolt opens it read-write and changes it)', {
  skip: !existsSync(ETCDCTL),
}, () => {
  const path = join(dir, 'restore.db');
  etcdShapedFile(path, 2000);
  // a snapshot as etcd sends it: the db, then the sha256 of it
  appendFileSync(path, createHash('sha256').update(readFileSync(path)).digest());
  const dataDir = join(dir, 'restored.etcd');
  execFileSync(
    ETCDCTL,
    [
      'snapshot',
      'restore',
      path,
      '--data-dir',
      dataDir,
      '--name',
      'n1',
      '--initial-cluster',
      'n1=http://127.0.0.1:1',
      '--initial-advertise-peer-urls',
      'http://127.0.0.1:1',
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 },
  );
  const db = readBolt(join(dataDir, 'member', 'snap', 'db'));
  const key = db.buckets.find((b) => b.name.toString() === 'key')!;
  assert.equal(key.entries.length, 2000);
  // etcd's mvcc store opened it, created its lease bucket and set the consistent index (one member)
  assert.ok(db.buckets.some((b) => b.name.toString() === 'lease'));
  const meta = db.buckets.find((b) => b.name.toString() === 'meta')!;
  const ci = meta.entries.find(([k]) => k.toString() === 'consistent_index')!;
  assert.equal(ci[1].readBigUInt64BE(0), 1n);
});

test('BoltReader.open walks the file page by page with the same result as parseBolt', () => {
  const path = join(dir, 'paged.db');
  const entries: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < 5000; i++)
    entries.push([Buffer.from(`key-${String(i).padStart(5, '0')}`), randomBytes(i % 97 === 0 ? 6000 : 50)]);
  writeBolt(path, [
    { name: Buffer.from('a'), entries },
    { name: Buffer.from('b'), entries: [[Buffer.from('only'), Buffer.from('one')]] },
  ]);
  const r = BoltReader.open(path);
  try {
    const names = r.buckets().map((b) => b.name.toString());
    assert.deepEqual(names, ['a', 'b']);
    const got: Array<[Buffer, Buffer]> = [];
    r.forEach(r.buckets()[0]!, (k, v) => got.push([k, v]));
    assert.deepEqual(got, entries);
    assert.deepEqual(r.readAll(), parseBolt(readFileSync(path)));
  } finally {
    r.close();
  }
});

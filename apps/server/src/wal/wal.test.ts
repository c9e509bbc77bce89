import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type TestEntry, testCodec } from './test-codec.js';
import { Wal, WalCorruptError } from './wal.js';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'wal-test-')), 'wal');
const ents = (from: number, to: number, term = 1): TestEntry[] => {
  const out = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, data: `d${i}` });
  return out;
};

test('round trip: metadata, hard state and entries come back after reopen', async () => {
  const dir = tmp();
  const w = await Wal.create(dir, Buffer.from('node-1'), testCodec);
  await w.save({ term: 1, vote: 1, commit: 0 }, ents(1, 3));
  await w.save({ term: 1, vote: 1, commit: 3 }, ents(4, 5));
  await w.close();
  const r = await Wal.open(dir, { index: 0, term: 0 }, testCodec);
  assert.equal(r.metadata.toString(), 'node-1');
  assert.deepEqual(r.state, { term: 1, vote: 1, commit: 3 });
  assert.deepEqual(r.entries, ents(1, 5));
  assert.equal(r.truncatedBytes, 0);
  await r.wal.save(undefined, ents(6, 6));
  await r.wal.close();
  const r2 = await Wal.open(dir, { index: 0, term: 0 }, testCodec);
  assert.deepEqual(r2.entries, ents(1, 6));
  await r2.wal.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('a later write of an index replaces the tail from there (new leader overwrote it)', async () => {
  const dir = tmp();
  const w = await Wal.create(dir, Buffer.from('m'), testCodec);
  await w.save(undefined, ents(1, 5, 1));
  await w.save(undefined, ents(3, 4, 2));
  await w.close();
  const r = await Wal.open(dir, { index: 0, term: 0 }, testCodec);
  assert.deepEqual(r.entries, [...ents(1, 2, 1), ...ents(3, 4, 2)]);
  await r.wal.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('segments roll over, and a snapshot releases the old ones', async () => {
  const dir = tmp();
  const w = await Wal.create(dir, Buffer.from('m'), testCodec, { segmentBytes: 300 });
  for (let i = 1; i <= 60; i += 3) await w.save({ term: 1, vote: 0, commit: i + 2 }, ents(i, i + 2));
  const before = w.segmentCount();
  assert.ok(before > 3, `expected several segments, got ${before}`);
  await w.saveSnapshot({ index: 50, term: 1 });
  await w.releaseTo(50);
  assert.ok(w.segmentCount() < before);
  await w.close();
  const r = await Wal.open(dir, { index: 50, term: 1 }, testCodec, { segmentBytes: 300 });
  assert.deepEqual(r.entries, ents(51, 60));
  assert.deepEqual(r.state, { term: 1, vote: 0, commit: 60 });
  await r.wal.close();
  // Opening at a snapshot the log never recorded is refused.
  await assert.rejects(Wal.open(dir, { index: 55, term: 1 }, testCodec), WalCorruptError);
  rmSync(join(dir, '..'), { recursive: true });
});

test('a torn last record is truncated; the rest survives and appends continue', async () => {
  const dir = tmp();
  const w = await Wal.create(dir, Buffer.from('m'), testCodec);
  await w.save(undefined, ents(1, 4));
  await w.close();
  const seg = join(dir, readdirSync(dir).sort().at(-1)!);
  const good = statSync(seg).size;
  // Half a record: a header announcing 100 bytes, then only a few.
  const partial = Buffer.alloc(20);
  partial.writeUInt32LE(100, 0);
  appendFileSync(seg, partial);
  const r = await Wal.open(dir, { index: 0, term: 0 }, testCodec);
  assert.equal(r.truncatedBytes, 20);
  assert.equal(statSync(seg).size, good);
  assert.deepEqual(r.entries, ents(1, 4));
  await r.wal.save(undefined, ents(5, 5));
  await r.wal.close();
  const r2 = await Wal.open(dir, { index: 0, term: 0 }, testCodec);
  assert.deepEqual(r2.entries, ents(1, 5));
  await r2.wal.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('a flipped bit in the middle refuses to open with a clear error', async () => {
  const dir = tmp();
  const w = await Wal.create(dir, Buffer.from('m'), testCodec);
  await w.save(undefined, ents(1, 10));
  await w.close();
  const seg = join(dir, readdirSync(dir).sort().at(-1)!);
  const buf = readFileSync(seg);
  const at = buf.indexOf('d5');
  buf[at + 1] = '6'.charCodeAt(0);
  writeFileSync(seg, buf);
  await assert.rejects(Wal.open(dir, { index: 0, term: 0 }, testCodec), /crc mismatch .* refusing to start/);
  rmSync(join(dir, '..'), { recursive: true });
});

function runChildUntilKilled(dir: string, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'wal-crash-child.js'), dir, '2048'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = 0;
    let buf = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    // The clock starts once the WAL is open, so a slow machine still kills it mid-append.
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('acked ')) acked = Number(l.slice(6));
        else if (l === 'ready' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

test('SIGKILL at random moments loses no acknowledged entry', async () => {
  const dir = tmp();
  let lastAcked = 0;
  for (let round = 0; round < 8; round++) {
    const acked = await runChildUntilKilled(dir, Math.floor(Math.random() * 300));
    // A round killed before its first ack adds nothing; earlier rounds' entries must still be there.
    const mustHave = Math.max(acked, lastAcked);
    const r = await Wal.open(dir, { index: 0, term: 0 }, testCodec, { segmentBytes: 2048 });
    const last = r.entries.at(-1)?.index ?? 0;
    assert.ok(last >= mustHave, `round ${round}: acked ${mustHave} but only ${last} survived`);
    r.entries.forEach((e, i) => {
      assert.equal(e.index, i + 1);
      assert.equal(e.data, `v${e.index}-${'x'.repeat(e.index % 50)}`);
    });
    await r.wal.close();
    lastAcked = last;
  }
  assert.ok(lastAcked > 0);
  rmSync(join(dir, '..'), { recursive: true });
});

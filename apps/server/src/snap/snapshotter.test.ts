import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Snapshotter } from './snapshotter.js';

test('saves, loads the newest, skips damaged files, keeps at most N', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snap-'));
  const s = new Snapshotter(dir, 2);
  assert.equal(s.loadNewest(), undefined);
  s.save(1, 10, Buffer.from('ten'));
  s.save(1, 20, Buffer.from('twenty'));
  s.save(2, 30, Buffer.from('thirty'));
  assert.equal(readdirSync(dir).length, 2);
  const n = s.loadNewest()!;
  assert.deepEqual([n.term, n.index, n.bytes.toString()], [2, 30, 'thirty']);
  const newest = join(dir, s.list().at(-1)!.name);
  const buf = readFileSync(newest);
  buf[buf.length - 1] ^= 1;
  writeFileSync(newest, buf);
  const older = s.loadNewest()!;
  assert.deepEqual([older.index, older.bytes.toString()], [20, 'twenty']);
  rmSync(dir, { recursive: true });
});

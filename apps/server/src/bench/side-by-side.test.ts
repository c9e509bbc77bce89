import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

// Keeps the side-by-side benchmark working: its short mode against real etcd and real members of ours.
// It checks that every cell ran and printed figures, never how fast anything was.
// Two cells cover both methods, both stream shapes and the ReadIndex path; the others differ only in body.
const CELLS = ['put-16x16', 'range-l-1x1'];

test('side-by-side benchmark: short mode runs every server and cell and prints numbers', {
  skip: !(existsSync('/usr/bin/etcd') && existsSync('/usr/bin/etcdctl')) && 'needs Debian etcd 3.4',
}, async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(__dirname, 'side-by-side.js'), '--short', '--members', '1,3', '--cells', CELLS.join(',')],
      { timeout: 150_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  const rows = out.split('\n').filter((l) => /^\s+[13]\s+\S+-\d+x\d+\s/.test(l));
  assert.equal(rows.length, 2 * CELLS.length, out);
  for (const members of ['1', '3']) {
    for (const cell of CELLS) {
      const row = rows.find((r) => r.trim().startsWith(`${members}  ${cell} `));
      assert.ok(row, `no row for ${members} members, ${cell}:\n${out}`);
      const [, , etcdRps, oursRps, ratio] = row.trim().split(/\s+/);
      assert.ok(Number(etcdRps) > 0 && Number(oursRps) > 0, row);
      assert.ok(Number.isFinite(Number(ratio)), row);
    }
  }
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { parseScaleArgs, scale } from './scale';

// Keeps the scale benchmark working (short mode, both servers): every phase ran and was measured.
// Sizes are printed for people to compare, never asserted: they depend on the machine.
test('scale benchmark: short mode measures keys, watchers and leases on etcd and ours', {
  skip: !existsSync('/usr/bin/etcd') && 'needs Debian etcd 3.4',
}, async () => {
  const lines: string[] = [];
  const results = await scale({ ...parseScaleArgs(['--short']), out: (l) => lines.push(l) });
  assert.deepEqual(
    results.map((r) => r.kind),
    ['etcd', 'ours'],
  );
  for (const r of results) {
    for (const rss of [r.idleRssMiB, r.keys.rssMiB, r.watchers.rssMiB, r.leases.rssMiB]) assert.ok(rss > 0);
    assert.ok(r.keys.diskMiB > 0 && r.leases.diskMiB > 0, lines.join('\n'));
  }
  assert.equal(lines.length, 4, lines.join('\n'));
});

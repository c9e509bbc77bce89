import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ServerKind, skipReason } from '../harness/server-binary';
import { outagesAfter, runFaultBench } from './fault-bench';
import { formatResult } from './format';

// The CI mode of dist/availability/run.js: 3 s of kills and pauses (mixed) per server, asserting
// only that no acknowledged write is lost. Speed and outage figures are printed, never asserted.
const servers = (['etcd', 'ours'] as ServerKind[]).filter((s) => skipReason(s) === undefined);

describe('fault availability bench, CI mode', { skip: servers.length === 0 && 'no server to run' }, () => {
  for (const fault of ['mixed']) {
    for (const kind of servers) {
      it(`${kind}: kill -9 or pause every 1.5 s for 3 s loses no acknowledged write`, async (t) => {
        const r = await runFaultBench({
          kind,
          fault,
          seconds: 3,
          writers: 4,
          periodMs: 1500,
          holdMs: 1000,
          seed: 17,
          timing: [],
          clientRetries: true,
          deadlineMs: 5000,
        });
        t.diagnostic(formatResult(r));
        assert.ok(r.outages.length > 0, 'the nemesis injected no fault');
        assert.deepEqual(r.lost.slice(0, 10), [], `${r.lost.length} acknowledged writes lost`);
      });
    }
  }
});

describe('outagesAfter', () => {
  it('measures the longest ack gap between a fault and the next, not just the first ack', () => {
    const events = [
      { at: 100, what: 'pause m1 (leader)' },
      { at: 150, what: 'resume m1' },
      { at: 1000, what: 'kill -9 m2' },
    ];
    // An ack of a put committed before the pause lands at 101; then nothing until 600.
    const acks = [50, 101, 600, 610, 1005, 1010];
    const out = outagesAfter(events, acks, 1500);
    assert.deepEqual(
      out.map((o) => [o.what, o.outageMs]),
      [
        ['pause m1 (leader)', 499],
        ['kill -9 m2', 490],
      ],
    );
  });
});

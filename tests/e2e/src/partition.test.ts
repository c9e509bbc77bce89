import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, netnsSkipReason, SUITE_TIMEOUT_MS, serverKind, skipReason } from './harness/index';
import { runJepsen } from './jepsen/suite';

const seconds = Number(process.env.KV_E2E_PARTITION_SECONDS ?? 25);
const skip = skipReason() ?? netnsSkipReason();

describe(`Jepsen-style checks under network partitions [${serverKind()}]`, {
  skip,
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 3, netns: true });
  });
  after(async () => {
    await c?.destroy();
  });

  it(`partitions (halves, isolated leader, bridge, + kill) for ${seconds} s: registers linearizable, no acked write lost, watch = history`, async (t) => {
    const seed = Number(process.env.KV_E2E_SEED ?? Date.now() % 100000);
    const r = await runJepsen(c, {
      seconds,
      fault: 'mixed-net',
      seed,
      // Short holds so a short run still sees several faults of different kinds.
      timing: { quiet: [500, 1500], hold: [1500, 3500] },
      maxExplored: 5_000_000,
    });
    t.diagnostic(`seed ${seed}; ${JSON.stringify(r.stats)}`);
    t.diagnostic(`nemesis: ${r.nemesis.map((e) => `${(e.at / 1000).toFixed(1)}s ${e.what}`).join(', ')}`);
    for (const v of r.verdicts) t.diagnostic(`${v.ok === true ? 'PASS' : 'FAIL'} ${v.check}: ${v.detail}`);
    assert.ok(
      r.nemesis.some((e) => /partition|isolate|bridge/.test(e.what)),
      'the nemesis partitioned the network at least once',
    );
    const stats = r.stats as { register: { ok: number }; append: { setOk: number; appendOk: number } };
    assert.ok(
      stats.register.ok >= 50 && stats.append.setOk >= 20 && stats.append.appendOk >= 10,
      'enough completed ops to mean anything',
    );
    for (const v of r.verdicts) {
      assert.equal(
        v.ok,
        true,
        `${v.check} (seed ${seed}): ${v.detail}\n${r.evidence.join('\n')}\n${c.logs()}`,
      );
    }
  });
});

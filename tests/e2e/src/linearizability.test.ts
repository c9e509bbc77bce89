import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, SUITE_TIMEOUT_MS, serverKind, skipReason } from './harness/index';
import { runRegisterWorkload } from './jepsen/register-workload';
import { checkRegisters } from './linearizability/checker';

const seconds = Number(process.env.KV_E2E_JEPSEN_SECONDS ?? 20);

describe(`Jepsen-style registers under kill -9 and SIGSTOP [${serverKind()}]`, {
  skip: skipReason(),
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ size: 3 });
  });
  after(async () => {
    await c?.destroy();
  });

  it(`get/put/CAS on 3 keys by 4 clients for ${seconds} s is linearizable`, async (t) => {
    const seed = Number(process.env.KV_E2E_SEED ?? Date.now() % 100000);
    const r = await runRegisterWorkload(c, {
      durationMs: seconds * 1000,
      clients: 4,
      keys: 3,
      nemesis: true,
      fault: 'mixed',
      seed,
    });
    t.diagnostic(`seed ${seed}; ${r.history.length} ops recorded; ${JSON.stringify(r.counts)}`);
    t.diagnostic(`nemesis: ${r.nemesis.map((e) => `${(e.at / 1000).toFixed(1)}s ${e.what}`).join(', ')}`);
    assert.ok(r.counts.ok >= 50, `too few completed ops to mean anything: ${JSON.stringify(r.counts)}`);
    assert.ok(
      r.nemesis.some((e) => e.what.startsWith('kill') || e.what.startsWith('pause')),
      'the nemesis faulted at least one member',
    );
    const started = Date.now();
    const check = checkRegisters(r.history, () => r.init, 5_000_000);
    t.diagnostic(
      `checker: ${check.ops} ops after pruning, ${check.explored} steps, ${Date.now() - started} ms`,
    );
    assert.equal(check.ok, true, check.ok === true ? '' : `${check.reason}\n${c.logs()}`);

    // The checker must not be vacuous on this very history: a read that sees the initial value again
    // after a write to its key completed is a stale read, and must be caught.
    const reads = r.history.filter((h) => h.op.f === 'read');
    const stale = reads
      .reverse()
      .find((rd) => r.history.some((w) => w.key === rd.key && w.op.f === 'write' && w.ret < rd.call));
    if (stale) {
      const mutated = r.history.map((h) =>
        h === stale ? { ...h, op: { f: 'read' as const, value: r.init } } : h,
      );
      // false, or 'unknown' when proving it means trying every unseen indeterminate write: never ok.
      assert.notEqual(
        checkRegisters(mutated, () => r.init, 2_000_000).ok,
        true,
        'checker missed an injected stale read',
      );
    }
  });
});

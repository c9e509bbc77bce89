import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { skipReason } from '../harness/server-binary';
import { formatDivergence, runSeed } from './engine';
import { AREAS } from './run';
import { preferTmpfs } from './servers';

// The short mode of the differential tester (run.js is the long one): each area, one seed, a few
// hundred ops against a fresh etcd 3.4 and a fresh server of ours; any divergence fails with the seed,
// op index, request, both answers and the replay command. KV_DIFFTEST_SEED / KV_DIFFTEST_OPS override.
const SHORT_OPS: Record<string, number> = {
  kv: 600,
  txn: 500,
  compact: 500,
  lease: 500,
  watch: 500,
  auth: 400,
};
const seed = Number(process.env.KV_DIFFTEST_SEED ?? 1);
const skip = skipReason('etcd') ?? skipReason('ours');

describe('randomized differential test against etcd 3.4', { skip }, () => {
  preferTmpfs();
  for (const [name, area] of Object.entries(AREAS)) {
    const ops = Number(process.env.KV_DIFFTEST_OPS ?? SHORT_OPS[name] ?? 400);
    it(`${name}: seed ${seed}, ${ops} ops, same answers from both servers`, {
      timeout: 120_000,
    }, async () => {
      const r = await runSeed({ area, seed, ops, timeLimitMs: 60_000 });
      assert.equal(r.divergences.length, 0, r.divergences.map(formatDivergence).join('\n'));
      assert.ok(r.opsDone >= Math.min(ops, 100), `only ${r.opsDone} ops ran within the time limit`);
    });
  }
});

// The simulator as a test: many seeds of faults, each checked for safety after every step and for
// liveness after healing. KV_SIM_SEEDS overrides the count; `node dist/sim/run.js` runs many more.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from './simulation.js';

const SEEDS = Number(process.env.KV_SIM_SEEDS ?? 2000);
const CHUNK = 100;

describe('simulation', () => {
  it('a seed replays exactly', () => {
    const a = runSimulation({ seed: 4242 });
    const b = runSimulation({ seed: 4242 });
    assert.deepEqual(a, b);
    assert.equal(a.ok, true, a.error);
  });

  for (let from = 1; from <= SEEDS; from += CHUNK) {
    const to = Math.min(SEEDS, from + CHUNK - 1);
    it(`seeds ${from}..${to}: safety holds throughout and progress resumes after healing`, () => {
      const failures: string[] = [];
      for (let seed = from; seed <= to; seed++) {
        const r = runSimulation({ seed });
        if (!r.ok)
          failures.push(`seed ${seed} (replay: node dist/sim/run.js --seed ${seed} --verbose): ${r.error}`);
      }
      assert.deepEqual(failures, []);
    });
  }
});

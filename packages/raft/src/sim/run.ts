// Runs many simulation seeds: node dist/sim/run.js --seeds 100000 [--from 1] [--seed N --verbose]
import { runSimulation } from './simulation.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const verbose = process.argv.includes('--verbose');
const one = arg('seed');
if (one !== undefined) {
  const r = runSimulation({ seed: Number(one), verbose });
  console.log(JSON.stringify({ ...r, error: undefined }));
  if (!r.ok) {
    console.error(r.error);
    process.exit(1);
  }
  process.exit(0);
}

const from = Number(arg('from') ?? 1);
const count = Number(arg('seeds') ?? 1000);
const start = Date.now();
let failed = 0;
let committed = 0;
let reads = 0;
const totals = { snapshots: 0, transfers: 0, preVotes: 0, jointConfigs: 0 };
for (let s = from; s < from + count; s++) {
  const r = runSimulation({ seed: s });
  committed += r.committed;
  reads += r.readsServed;
  totals.snapshots += r.snapshots;
  totals.transfers += r.transfers;
  totals.preVotes += r.preVotes;
  totals.jointConfigs += r.jointConfigs;
  if (!r.ok) {
    failed++;
    console.error(`seed ${s} FAILED (replay: node dist/sim/run.js --seed ${s} --verbose)\n${r.error}`);
    if (failed >= 10) break;
  }
  if ((s - from + 1) % 1000 === 0) {
    console.log(`${s - from + 1} seeds, ${failed} failed, ${((Date.now() - start) / 1000).toFixed(1)}s`);
  }
}
const secs = (Date.now() - start) / 1000;
console.log(
  `${count} seeds from ${from}: ${failed} failed; ${committed} entries committed, ${reads} reads checked; ${secs.toFixed(1)}s (${((secs * 1000) / count).toFixed(1)} ms/seed)`,
);
console.log(`exercised: ${JSON.stringify(totals)}`);
process.exit(failed > 0 ? 1 : 0);

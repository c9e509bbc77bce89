import { authArea } from './auth-area';
import { compactArea } from './compact-area';
import { type Area, formatDivergence, type RunResult, runSeed } from './engine';
import { kvArea } from './kv-area';
import { leaseArea } from './lease-area';
import { preferTmpfs } from './servers';
import { txnArea } from './txn-area';
import { watchArea } from './watch-area';

export const AREAS: Record<string, Area> = {
  kv: kvArea,
  txn: txnArea,
  compact: compactArea,
  lease: leaseArea,
  watch: watchArea,
  auth: authArea,
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  preferTmpfs();
  const areaArg = arg('area') ?? 'all';
  const names = areaArg === 'all' ? Object.keys(AREAS) : areaArg.split(',');
  for (const n of names)
    if (!AREAS[n]) throw new Error(`unknown area ${n}; one of ${Object.keys(AREAS).join('|')}|all`);
  const ops = Number(arg('ops') ?? 1000);
  const seedArg = arg('seed');
  const seeds =
    seedArg !== undefined
      ? [Number(seedArg)]
      : Array.from({ length: Number(arg('seeds') ?? 1) }, (_, i) => i + 1);
  const minutes = Number(arg('minutes') ?? 0);
  const timeLimitMs = minutes > 0 ? minutes * 60_000 : undefined;
  const results: RunResult[] = [];
  for (const n of names) {
    for (const seed of seeds) {
      const r = await runSeed({
        area: AREAS[n]!,
        seed,
        ops,
        timeLimitMs,
        onDivergence: (d) => console.log(formatDivergence(d)),
      });
      results.push(r);
      console.log(
        `area=${r.area} seed=${r.seed} ops=${r.opsDone} divergences=${r.divergences.length} ${(r.ms / 1000).toFixed(1)}s`,
      );
    }
  }
  const bad = results.reduce((a, r) => a + r.divergences.length, 0);
  const total = results.reduce((a, r) => a + r.opsDone, 0);
  console.log(`total: ${results.length} runs, ${total} ops, ${bad} divergences`);
  process.exitCode = bad > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}

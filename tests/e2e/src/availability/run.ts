// Fault availability, etcd 3.4 and ours in one run:
// `node dist/availability/run.js [--faults kill,pause] [--seconds 30] [--writers 8] [--period 2500]
//  [--hold 1000] [--servers etcd,ours] [--timing default|fast] [--client retries|single] [--deadline ms] [--seed N] [--ci]`.
// Prints acknowledged writes/s, p50/p99 latency of acknowledged writes and the longest outage after a
// fault (fault -> next acknowledged write) per server and fault; exits 1 if any acknowledged write is
// lost. Partition faults (`--faults isolate-leader`, `partition`) need root for network namespaces.
// --ci: a few seconds per server, for the correctness check only.
import { FAST_TIMING } from '../harness/cluster';
import { netnsSkipReason } from '../harness/netns';
import { type ServerKind, skipReason } from '../harness/server-binary';
import { FAULT_SETS, needsNetns } from '../jepsen/net-nemesis';
import { type FaultBenchResult, runFaultBench } from './fault-bench';
import { formatResult } from './format';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<number> {
  const ci = process.argv.includes('--ci');
  const faults = arg('faults', 'kill,pause').split(',');
  const servers = arg('servers', 'etcd,ours').split(',') as ServerKind[];
  const seconds = Number(arg('seconds', ci ? '4' : '30'));
  const opts = {
    seconds,
    writers: Number(arg('writers', ci ? '4' : '8')),
    periodMs: Number(arg('period', ci ? '1500' : '2500')),
    holdMs: Number(arg('hold', '1000')),
    seed: Number(arg('seed', '17')),
    timing: arg('timing', 'default') === 'fast' ? FAST_TIMING : [],
    clientRetries: arg('client', 'retries') === 'retries',
    deadlineMs: Number(arg('deadline', '5000')),
  };
  for (const f of faults) {
    if (!FAULT_SETS[f]) throw new Error(`--faults: ${f} is not one of ${Object.keys(FAULT_SETS).join(', ')}`);
    const why = netnsSkipReason();
    if (needsNetns(f) && why) throw new Error(`--faults ${f} needs network namespaces: ${why}`);
  }
  for (const s of servers) {
    const why = skipReason(s);
    if (why) throw new Error(why);
  }
  console.log(
    `fault availability: ${servers.join(' vs ')}, 3 members, ${opts.writers} writers (npm etcd3, ${opts.clientRetries ? "client's default retries" : 'one attempt per put'}), ` +
      `a fault every ${opts.periodMs} ms for ${seconds} s (kill: down ${opts.holdMs / 2} ms; pause/partition: held ${opts.holdMs} ms), ` +
      `timing ${opts.timing.length ? opts.timing.join(' ') : "servers' defaults"}, seed ${opts.seed}`,
  );
  const results: FaultBenchResult[] = [];
  for (const fault of faults) {
    for (const kind of servers) {
      const r = await runFaultBench({ ...opts, kind, fault });
      results.push(r);
      console.log(formatResult(r));
      if (process.env.KV_E2E_VERBOSE) {
        for (const x of r.outages)
          console.log(
            `    ${(x.at / 1000).toFixed(2)}s ${x.what}: ${x.outageMs.toFixed(0)} ms; in flight: ${x.inFlight.join(', ')}`,
          );
        console.log(`    errors: ${r.errors || 'none'}`);
      }
      for (const l of r.lost.slice(0, 10)) console.log(`    LOST ${l}`);
    }
  }
  const lost = results.filter((r) => r.lost.length > 0);
  console.log(
    lost.length === 0
      ? 'PASS no acknowledged write lost'
      : `FAIL acknowledged writes lost in ${lost.length} runs`,
  );
  return lost.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

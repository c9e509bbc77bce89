// Jepsen-style runs for longer than CI allows:
// `node dist/jepsen/run.js --server ours|etcd --fault partition --seconds 300 [--seed N] [--members 3]`.
// Faults (--fault): kill, pause, mixed (kill+pause), partition (halves, isolate-leader, bridge),
// partition-halves, isolate-leader, bridge, one-way, partition-kill, mixed-net (all of them). Partition faults
// run the members in network namespaces and need root. Prints every check's verdict; exits 1 on any
// failure, printing the seed and a history excerpt.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../harness/cluster';
import { netnsSkipReason } from '../harness/netns';
import { FAULT_SETS, needsNetns } from './net-nemesis';
import { runJepsen } from './suite';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<number> {
  const server = arg('server', process.env.KV_E2E_SERVER ?? 'ours');
  process.env.KV_E2E_SERVER = server;
  const seconds = Number(arg('seconds', '120'));
  const size = Number(arg('members', '3'));
  const seed = Number(arg('seed', String(Date.now() % 100000)));
  const fault = arg('fault', 'mixed');
  if (!FAULT_SETS[fault]) {
    console.error(`--fault must be one of ${Object.keys(FAULT_SETS).join(', ')}`);
    return 2;
  }
  // Namespaces whenever we may (so every fault kind runs on the same network), required for partitions.
  const why = netnsSkipReason();
  if (why && needsNetns(fault)) {
    console.error(`--fault ${fault} needs network namespaces: ${why}`);
    return 2;
  }
  const c = await Cluster.start({ size, netns: why === undefined });
  const repro = `node dist/jepsen/run.js --server ${server} --fault ${fault} --seconds ${seconds} --members ${size} --seed ${seed}`;
  try {
    console.log(
      `jepsen: ${server}, ${size} members${c.net ? ` in netns ${c.net.subnet}.0/24` : ''}, ${seconds} s, fault ${fault}, seed ${seed}`,
    );
    const r = await runJepsen(c, {
      seconds,
      fault,
      seed,
      registerClients: Number(arg('clients', '4')),
      keys: Number(arg('keys', '3')),
    });
    console.log(`stats: ${JSON.stringify(r.stats)}`);
    const kinds = new Map<string, number>();
    for (const e of r.nemesis) {
      if (e.what.startsWith('healthy')) continue;
      const k = e.what.split(/[ :]/)[0]!;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    console.log(`nemesis: ${r.nemesis.length} events ${JSON.stringify(Object.fromEntries(kinds))}`);
    // Availability: how long after each heal until every member answered /health again.
    const rec = new Map<string, number[]>();
    for (const e of r.nemesis) {
      const m = /^healthy (\d+) ms after (\S+) healed/.exec(e.what);
      if (m) rec.set(m[2]!, [...(rec.get(m[2]!) ?? []), Number(m[1])]);
    }
    const recLine = [...rec].map(([f, xs]) => `${f} x${xs.length} max ${Math.max(...xs)} ms`).join(', ');
    console.log(`recovery after heal: ${recLine || 'n/a'}`);
    const unhealthy = r.nemesis.filter((e) => e.what.includes('unhealthy'));
    if (unhealthy.length > 0) console.log(`NOT healthy within 45 s after a heal: ${unhealthy.length} times`);
    if (process.env.KV_E2E_VERBOSE)
      for (const e of r.nemesis) console.log(`  ${(e.at / 1000).toFixed(1)}s ${e.what}`);
    for (const v of r.verdicts) {
      console.log(`${v.ok === true ? 'PASS' : v.ok === false ? 'FAIL' : 'UNKNOWN'} ${v.check}: ${v.detail}`);
    }
    if (!r.ok) {
      for (const l of r.evidence) console.log(`  ${l}`);
      console.log('nemesis log:');
      for (const e of r.nemesis) console.log(`  ${(e.at / 1000).toFixed(1)}s ${e.what}`);
      const file = join(tmpdir(), `kv-jepsen-${server}-${fault}-${seed}.json`);
      writeFileSync(
        file,
        JSON.stringify({ repro, nemesis: r.nemesis, verdicts: r.verdicts, ...(r.raw as object) }, (_k, v) =>
          v === Infinity ? 'never' : v,
        ),
      );
      console.log(`history saved to ${file}`);
      console.log(`reproduce (same schedule of choices, not of timing): ${repro}`);
      console.log(`members' data under ${c.dir} (kept when KV_E2E_KEEP=1)`);
      return 1;
    }
    return 0;
  } finally {
    await c.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

// The register workload for longer than CI allows: `pnpm run jepsen -- --seconds 120 [--server etcd]`.
// Prints the history's figures and the checker's verdict; exits 1 when not linearizable.
import { Cluster } from '../harness/cluster';
import { checkRegisters } from '../linearizability/checker';
import { describeOp } from '../linearizability/history';
import { runRegisterWorkload } from './register-workload';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<number> {
  const server = arg('server', process.env.KV_E2E_SERVER ?? 'ours');
  process.env.KV_E2E_SERVER = server;
  const seconds = Number(arg('seconds', '120'));
  const clients = Number(arg('clients', '5'));
  const keys = Number(arg('keys', '3'));
  const seed = Number(arg('seed', String(Date.now() % 100000)));
  const c = await Cluster.start({ size: 3 });
  try {
    console.log(`jepsen: ${server}, 3 members, ${clients} clients, ${keys} keys, ${seconds} s, seed ${seed}`);
    const r = await runRegisterWorkload(c, {
      durationMs: seconds * 1000,
      clients,
      keys,
      nemesis: true,
      seed,
    });
    console.log(`ops: ${r.history.length} recorded ${JSON.stringify(r.counts)}`);
    console.log(
      `nemesis: ${r.nemesis.length} events; kills: ${r.nemesis.filter((e) => e.what.startsWith('kill')).length}`,
    );
    const t = Date.now();
    const check = checkRegisters(r.history, () => r.init, 50_000_000);
    console.log(
      `checker: ${check.ok === true ? 'linearizable' : check.ok === false ? 'NOT linearizable' : 'unknown'}`,
    );
    console.log(`  ${check.ops} ops checked, ${check.explored} steps, ${Date.now() - t} ms`);
    if (check.ok !== true) {
      console.log(`  ${check.reason}`);
      const key = /key (\S+):/.exec(check.reason)?.[1];
      for (const h of r.history.filter((x) => x.key === key).slice(-40)) console.log(`  ${describeOp(h)}`);
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

#!/usr/bin/env node
// Start-up benchmark: wall and CPU time of `etcdctl get foo`, `put foo bar` and `del nokey` (and
// `member list`, which runs through oclif) against a real etcd, ours (from the start-up snapshot, and
// get without it) next to etcd's own etcdctl 3.4 and a bare `node -e 0`. usage: node scripts/bench-startup.mjs [runs=20] [baseline-bin]
// A baseline (another build's bin/etcdctl) is measured too. Commands run interleaved, one run of each
// per round, so that a shared machine's load changes disturb every command alike.
// Needs a build (dist/) and /usr/bin/etcd. Prints median, mean and min per command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const require = createRequire(import.meta.url);
const { TestEtcd } = require('../dist/test-support/etcd.js');
const runs = Number(process.argv[2] ?? 20);
const baseline = process.argv[3];
// The child's CPU time, which a busy machine disturbs far less than wall time: perf's task-clock (to
// the microsecond) where perf works, else GNU time's (to 10 ms)
const perfWorks = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', 'true']).status === 0;
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function timed(bin, args) {
  if (perfWorks) return ['perf', ['stat', '-x,', '-e', 'task-clock', bin, ...args]];
  if (timeBin) return [timeBin, ['-f', '%U %S', bin, ...args]];
  return [bin, args];
}
/** CPU ms from the timer's last stderr line, if there is a timer */
function cpuMs(stderr) {
  const last = String(stderr).trim().split('\n').pop();
  if (perfWorks) return Number(last.split(',')[0]);
  if (timeBin) return last.split(' ').map(Number).reduce((a, b) => a + b) * 1000;
  return undefined;
}

const etcd = await TestEtcd.start();
try {
  const ep = `--endpoints=${etcd.endpoint}`;
  const env = { ...process.env, ETCDCTL_API: '3' };
  spawnSync('bin/etcdctl', [ep, 'put', 'foo', 'bar'], { env });
  const cases = [
    ['node -e 0', process.execPath, ['-e', '0']],
    // node reads NODE_EXTRA_CA_CERTS while starting (tens of ms); bin/etcdctl keeps it out of that
    ...(env.NODE_EXTRA_CA_CERTS
      ? [
          [
            'node -e 0, no NODE_EXTRA_CA_CERTS',
            process.execPath,
            ['-e', '0'],
            { ...env, NODE_EXTRA_CA_CERTS: '' },
          ],
        ]
      : []),
    ['ours: bin/etcdctl get foo', 'bin/etcdctl', [ep, 'get', 'foo']],
    ['ours: bin/etcdctl put foo bar', 'bin/etcdctl', [ep, 'put', 'foo', 'bar']],
    ['ours: bin/etcdctl del nokey', 'bin/etcdctl', [ep, 'del', 'nokey']],
    // the same without the start-up snapshot (dist/launch.js with the code cache)
    ['ours, no snapshot: get foo', 'bin/etcdctl', [ep, 'get', 'foo'], { ...env, KV_ETCDCTL_NO_SNAPSHOT: '1' }],
    // a command off get/put/del's fast path: it loads oclif (Config.load with explicit discovery)
    ['ours: bin/etcdctl member list', 'bin/etcdctl', [ep, 'member', 'list']],
  ];
  if (baseline) {
    cases.push([`baseline get foo`, baseline, [ep, 'get', 'foo']]);
    cases.push([`baseline member list`, baseline, [ep, 'member', 'list']]);
  }
  if (existsSync('/usr/bin/etcdctl')) {
    cases.push(['etcd 3.4: etcdctl get foo', '/usr/bin/etcdctl', [ep, 'get', 'foo']]);
    cases.push(['etcd 3.4: etcdctl put foo bar', '/usr/bin/etcdctl', [ep, 'put', 'foo', 'bar']]);
    cases.push(['etcd 3.4: etcdctl del nokey', '/usr/bin/etcdctl', [ep, 'del', 'nokey']]);
    cases.push(['etcd 3.4: etcdctl member list', '/usr/bin/etcdctl', [ep, 'member', 'list']]);
  }
  const times = cases.map(() => []);
  const cpu = cases.map(() => []);
  for (const [, bin, args, e = env] of cases) spawnSync(bin, args, { env: e }); // warm-up (and the code cache)
  for (let i = 0; i < runs; i++) {
    cases.forEach(([name, bin, args, e = env], c) => {
      const t = process.hrtime.bigint();
      const [tbin, targs] = timed(bin, args);
      const r = spawnSync(tbin, targs, { env: e });
      times[c].push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
      const ms = cpuMs(r.stderr);
      if (ms !== undefined) cpu[c].push(ms);
    });
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  cases.forEach(([name], c) => {
    const mean = times[c].reduce((a, b) => a + b, 0) / times[c].length;
    console.log(
      `${name.padEnd(40)} wall median ${med(times[c]).toFixed(1)} ms  mean ${mean.toFixed(1)} ms  min ${Math.min(...times[c]).toFixed(1)} ms` +
        (cpu[c].length ? `  cpu median ${med(cpu[c]).toFixed(1)} ms` : '') +
        `  (${runs} runs)`,
    );
  });
} finally {
  await etcd.stop();
}

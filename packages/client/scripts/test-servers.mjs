#!/usr/bin/env node
// Runs the client suite against each server in turn: Debian's etcd 3.4 and ours (apps/server/bin/etcd),
// or only the one KV_TEST_SERVER names. Each run's TAP is kept; .test-results.tap ends with the summed
// totals, which is what scripts/test-summary.mjs reads. A suite skipped against one server (a feature ours
// lacks) counts as skipped, so the summary never hides it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const servers = process.env.KV_TEST_SERVER ? [process.env.KV_TEST_SERVER] : ['etcd', 'ours'];
const runner = resolve(
  import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  '../../../scripts/run-tests.mjs',
);
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0 };
const parts = [];
let status = 0;
for (const server of servers) {
  console.log(`\n=== @kv/client suite against ${server === 'ours' ? 'our server' : "Debian's etcd"} ===`);
  rmSync('.test-results.tap', { force: true });
  const r = spawnSync(process.execPath, [runner], {
    stdio: 'inherit',
    env: { ...process.env, KV_TEST_SERVER: server },
  });
  if (r.status !== 0) status = r.status ?? 1;
  const tap = existsSync('.test-results.tap') ? readFileSync('.test-results.tap', 'utf8') : '';
  const last = (key) => {
    const m = [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    return m.length ? Number(m[m.length - 1][1]) : 0;
  };
  const skipDirectives = [...tap.matchAll(/^\s*ok \d+ - .*# SKIP/gm)].length;
  const run = {
    tests: last('tests'),
    pass: last('pass'),
    fail: last('fail') + last('cancelled'),
    skipped: Math.max(last('skipped'), skipDirectives),
  };
  if (!tap) run.fail += 1;
  for (const k of Object.keys(totals)) totals[k] += run[k];
  console.log(`${server}: ${run.pass} passed, ${run.fail} failed, ${run.skipped} skipped`);
  parts.push(`# --- against ${server} ---\n${tap}`);
}
writeFileSync(
  '.test-results.tap',
  `${parts.join('\n')}\n# --- all servers ---\n${Object.entries(totals)
    .map(([k, v]) => `# ${k} ${v}`)
    .join('\n')}\n`,
);
process.exit(status);

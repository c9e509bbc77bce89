#!/usr/bin/env node
// Runs one package's compiled tests (dist/**/*.test.js) with node's test runner.
// Spec output goes to the terminal; a TAP copy goes to .test-results.tap for the summary across packages.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (/\.test\.js$/.test(name)) out.push(p);
  }
  return out;
}

const files = findTests('dist', []).sort();
rmSync('.test-results.tap', { force: true });
if (files.length === 0) {
  console.log('no tests in this package');
  writeFileSync('.test-results.tap', '# tests 0\n# pass 0\n# fail 0\n');
  process.exit(0);
}
const extra = (process.env.KV_TEST_ARGS ?? '').split(' ').filter(Boolean);
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    '--test-reporter-destination=.test-results.tap',
    // A hung test must fail the run, not hold CI until its limit: no single test here needs 5 minutes.
    `--test-timeout=${process.env.KV_TEST_TIMEOUT_MS ?? 300000}`,
    ...extra,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);

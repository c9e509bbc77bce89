// etcd's own e2e suite (tests/e2e of etcd 3.4, Debian's golang-etcd-server-dev) against our server: the
// curated subset in tests/etcd-e2e/ci-tests.txt, known to pass on ours, must keep passing. The script
// builds the suite once per source version (cached), installs Go and the sources with apt when root,
// and exits 77 when it cannot; see tests/etcd-e2e/README.md for the whole suite's results.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, serverKind, skipReason } from './harness/index';

const SKIP_CODE = 77;
// A cold build of the suite takes 1.5-3 min on two busy cores; the subset itself about a minute.
const TIMEOUT_MS = 12 * 60_000;

describe(`etcd 3.4's own e2e suite, CI subset [${serverKind()}]`, {
  skip: skipReason(),
  timeout: TIMEOUT_MS,
}, () => {
  it('every test in ci-tests.txt passes', { timeout: TIMEOUT_MS }, async (t) => {
    const script = join(repoRoot(), 'tests', 'etcd-e2e', 'run.sh');
    const child = spawn('bash', [script, '--ci', '--server', serverKind()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (d: Buffer) => {
      out += d;
      process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS - 10_000);
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    clearTimeout(timer);
    if (code === SKIP_CODE) {
      t.skip(out.match(/SKIP: (.*)/)?.[1] ?? 'prerequisites missing');
      return;
    }
    const summary = out.split('\n').filter((l) => /^(FAIL |run\.sh: (summary|failed|logs))/.test(l));
    assert.equal(code, 0, `run.sh --ci exited ${code}:\n${summary.join('\n')}`);
    assert.match(out, /summary against \w+: \d+ passed, 0 failed/);
  });
});

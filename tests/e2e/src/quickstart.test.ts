import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Cluster, ETCDCTL_PATH, quickstartScript, serverKind, skipReason } from './harness/index';

/** Runs the user's quick start check with Debian's stock etcdctl against one endpoint. */
function runQuickstart(endpoint: string): Promise<{ code: number; out: string }> {
  const script = quickstartScript()!;
  return new Promise((resolve) => {
    execFile('bash', [script, endpoint, ETCDCTL_PATH], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

const skip =
  skipReason() ??
  (quickstartScript() ? undefined : 'shared/checks/quickstart.sh not found (set KV_SHARED_DIR)');

describe(`quick start with stock etcdctl [${serverKind()}]`, { skip }, () => {
  describe('single member', () => {
    let c: Cluster;
    before(async () => {
      c = await Cluster.start({ size: 1 });
    });
    after(async () => {
      await c?.destroy();
    });

    it('quickstart.sh exits 0', async () => {
      const r = await runQuickstart(c.endpoints[0]!);
      assert.equal(r.code, 0, `quickstart.sh failed: ${r.out}\n${c.logs()}`);
      assert.match(r.out, /all 15 steps/);
    });
  });

  describe('3-member cluster', () => {
    let c: Cluster;
    before(async () => {
      c = await Cluster.start({ size: 3 });
    });
    after(async () => {
      await c?.destroy();
    });

    for (const i of [0, 1, 2]) {
      it(`quickstart.sh exits 0 through member ${i + 1}`, async () => {
        const r = await runQuickstart(c.endpoints[i]!);
        assert.equal(r.code, 0, `quickstart.sh through ${c.endpoints[i]} failed: ${r.out}\n${c.logs()}`);
      });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestClient } from './test-client.js';
import { freePorts } from './test-ports.js';
import { memberArgs, spawnEtcd } from './test-process.js';

test('kill -9 of a single member under write load loses no acknowledged write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-crash-'));
  const [c, p] = await freePorts(2);
  const args = memberArgs('default', c!, p!, `default=http://127.0.0.1:${p}`);
  const acked = new Map<string, string>();
  for (let round = 0; round < 3; round++) {
    const m = spawnEtcd(args, c!, dir);
    await m.waitLog('published local member', 30_000);
    const client = new TestClient(`127.0.0.1:${c}`);
    // Every acknowledged write is checked after the restart, including those of earlier rounds.
    for (const [k, v] of acked) {
      const r = await client.range(k, undefined, false);
      assert.equal(Buffer.from(r.kvs[0]?.value ?? []).toString(), v, `round ${round}: ${k} lost`);
    }
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const key = `r${round}-w${w}-${i}`;
        try {
          await client.put(key, `v${i}`);
          acked.set(key, `v${i}`);
        } catch {
          return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    m.child.kill('SIGKILL');
    await m.exited;
    stop = true;
    await Promise.all(writers);
    client.close();
  }
  assert.ok(acked.size > 0);
  const m = spawnEtcd(args, c!, dir);
  await m.waitLog('published local member', 30_000);
  const client = new TestClient(`127.0.0.1:${c}`);
  const all = await client.range('r', 's', false);
  const found = new Map(
    all.kvs.map((kv) => [Buffer.from(kv.key!).toString(), Buffer.from(kv.value!).toString()]),
  );
  for (const [k, v] of acked) assert.equal(found.get(k), v, `${k} lost`);
  console.log(`# ${acked.size} acknowledged writes survived 3 kill -9s`);
  client.close();
  m.child.kill('SIGTERM');
  await m.exited;
  rmSync(dir, { recursive: true, force: true });
});
